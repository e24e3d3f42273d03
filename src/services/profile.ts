import type { UserRecord } from "../data/users.ts";

/** A member's profile as the API shows it: never the password hash or the role. */
export interface Profile {
  id: string;
  email: string;
  email_verified: boolean;
  name: string | null;
  phone: string | null;
  profile_picture: string | null;
  google_id: string | null;
  subscription_tier: string;
  status: "active" | "pending_deletion";
  deletion_date: string | null;
  created_at: string;
  updated_at: string;
}

/** Maps a user row to the public profile, leaving every secret column behind. */
export function toProfile(user: UserRecord): Profile {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.email_verified_at !== null,
    name: user.name,
    phone: user.phone,
    profile_picture: user.profile_picture,
    google_id: user.google_id,
    subscription_tier: user.subscription_tier,
    status: user.status,
    deletion_date: user.deletion_date,
    created_at: user.created_at,
    updated_at: user.updated_at,
  };
}
