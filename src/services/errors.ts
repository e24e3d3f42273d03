/** One stable error code: its status, default `detail`, and what it means (for the API document). */
export interface ErrorCodeEntry {
  status: number;
  /** The message for a person, unless the thrower words it more precisely. */
  detail: string;
  /** When a caller gets it; each operation's documented error says this. */
  description?: string;
  /** A `detail` the server really sends, when `detail` is only a fallback no thrower uses. */
  example?: string;
}

/**
 * Every failure a service reports, in one table: a stable code, its HTTP status, and the default
 * message for a person. The `detail` strings fixed by DESIGN.md live here and nowhere else.
 */
export const errorCodes = {
  VALIDATION_ERROR: {
    status: 400,
    detail: "Invalid input",
    description: "The input breaks a rule of its schema; `errors` lists every field at fault",
  },
  MALFORMED_JSON: {
    status: 400,
    detail: "Malformed JSON body",
    description: "The body is not valid JSON",
  },
  EMAIL_TAKEN: {
    status: 400,
    detail: "Email already registered",
    description: "The address belongs to another account",
  },
  WEAK_PASSWORD: {
    status: 400,
    detail: "Password does not meet requirements",
    description: "The new password is not 8 to 128 characters or is a common password",
  },
  SAME_PASSWORD: {
    status: 400,
    detail: "New password must be different",
    description: "The new password equals the current one",
  },
  SAME_EMAIL: {
    status: 400,
    detail: "New email must be different from the current one",
    description: "The new address is the one the account already has",
  },
  ALREADY_VERIFIED: {
    status: 400,
    detail: "Email already verified",
    description: "The address is verified already; nothing to send",
  },
  INVALID_VERIFICATION_TOKEN: {
    status: 400,
    detail: "Invalid verification token",
    description: "The verification token is unknown, used or expired",
  },
  INVALID_RESET_TOKEN: {
    status: 400,
    detail: "Invalid reset token",
    description: "The reset token is unknown, used or expired",
  },
  INVALID_CANCELLATION_TOKEN: {
    status: 400,
    detail: "Invalid cancellation token",
    description: "The cancellation token is unknown, used or expired",
  },
  INVALID_REVERT_TOKEN: {
    status: 400,
    detail: "Invalid or expired link",
    description: 'The "this wasn\'t me" link is unknown, used or past its 7 days',
  },
  REVERT_ADDRESS_TAKEN: {
    status: 400,
    detail: "The previous email address now belongs to another account",
    description: "The address the link would restore is held by another account",
  },
  NO_FILE: {
    status: 400,
    detail: "No file uploaded",
    description: "The form has no `file` part, or it is empty",
  },
  FILE_TOO_LARGE: {
    status: 400,
    detail: "File size exceeds 5MB limit",
    description: "The upload is over 5 MB",
  },
  UNSUPPORTED_IMAGE_TYPE: {
    status: 400,
    detail: "Only JPEG, PNG, and WebP images are allowed",
    description: "The file is not a JPEG, PNG or WebP image",
  },
  IMAGE_TOO_LARGE: {
    status: 400,
    detail: "Image dimensions must not exceed 2000x2000 pixels",
    description: "The image is wider or taller than 2000 pixels",
  },
  IMAGE_UNREADABLE: {
    status: 400,
    detail: "The file is not a readable image",
    description: "The file claims an image type but cannot be decoded",
  },
  IMAGE_TIMEOUT: {
    status: 400,
    detail: "Image processing took too long",
    description: "Decoding the image took too long",
  },
  MALFORMED_MULTIPART: {
    status: 400,
    detail: "Malformed multipart/form-data body",
    description: "The multipart/form-data body cannot be parsed",
  },
  NOT_MULTIPART: {
    status: 415,
    detail: "Content-Type must be multipart/form-data",
    description: "The request is not multipart/form-data",
  },
  INSUFFICIENT_CREDITS: {
    status: 400,
    detail: "Insufficient credits",
    description: "The member's spendable balance is below the job's cost",
  },
  INVALID_JOB_TRANSITION: {
    status: 400,
    detail: "Illegal job status transition",
    description: "The job cannot move from its status to the requested one",
    example: "Cannot move a job from succeeded to running",
  },
  INVALID_DATE_RANGE: {
    status: 400,
    detail: "start_date must not be after end_date",
    description: "`start_date` is after `end_date`",
  },
  INVALID_REDIRECT_URI: {
    status: 400,
    detail: "redirect_uri is not registered",
    description: "`redirect_uri` is not one of `OAUTH_REDIRECT_URIS`",
  },
  INVALID_REQUEST: {
    status: 400,
    detail: "The token request is malformed",
    description: "OAuth `invalid_request`: a parameter is missing, repeated or malformed",
    example: "code_verifier is required",
  },
  INVALID_GRANT: {
    status: 400,
    detail: "Invalid authorization code",
    description: "OAuth `invalid_grant`: the code is unknown, expired or used, or " +
      "`code_verifier` or `redirect_uri` does not match it",
  },
  UNSUPPORTED_GRANT_TYPE: {
    status: 400,
    detail: "grant_type must be authorization_code",
    description: "OAuth `unsupported_grant_type`: only `authorization_code` is supported",
  },
  WEBHOOK_URL_REFUSED: {
    status: 400,
    detail: "Webhook URL refused",
    description: "The URL is not http(s), carries credentials, does not resolve, or points at a " +
      "private, loopback or link-local address without `WEBHOOK_ALLOW_PRIVATE`",
    example: "url points to a private, loopback or link-local address " +
      "(set WEBHOOK_ALLOW_PRIVATE=true to allow it)",
  },
  UNKNOWN_EVENT_TYPE: {
    status: 400,
    detail: "Unknown event type",
    description: "`events` names a type that is not in `/admin/webhooks/event-types`",
    example: "Unknown event type: user.nope",
  },
  PASSWORD_NOT_SET: {
    status: 400,
    detail: "Your account has no password: set one through the password reset mail",
    description: "The member signed up with Google and has no password to change",
  },
  LAST_SIGN_IN_METHOD: {
    status: 400,
    detail: "Set a password before unlinking Google: it is your only way to sign in",
    description: "Unlinking would leave the account with no way to sign in",
  },
  INVALID_OAUTH_STATE: {
    status: 400,
    detail: "This sign-in is invalid or has expired: start again from the app",
    description: "The sign-in's state is unknown, expired or bound to another browser",
  },
  INVALID_CREDENTIALS: {
    status: 401,
    detail: "Invalid email or password",
    description: "No account has this email and password",
  },
  INVALID_REFRESH_TOKEN: {
    status: 401,
    detail: "Invalid refresh token",
    description: "The refresh token is unknown, spent, expired or its session ended",
  },
  NOT_AUTHENTICATED: {
    status: 401,
    detail: "Authentication required",
    description: "No bearer token was sent",
  },
  INVALID_ACCESS_TOKEN: {
    status: 401,
    detail: "Invalid or expired access token",
    description: "The bearer token is malformed, expired, or its session was revoked",
  },
  CURRENT_PASSWORD_INCORRECT: {
    status: 401,
    detail: "Current password is incorrect",
    description: "`current_password` is not the account's password",
  },
  INVALID_PASSWORD: {
    status: 401,
    detail: "Invalid password",
    description: "`password` is not the account's password",
  },
  RECENT_SIGN_IN_REQUIRED: {
    status: 401,
    detail: "Recent sign-in required",
    description: "A member without a password must have signed in within the last 10 minutes",
  },
  FORBIDDEN: {
    status: 403,
    detail: "Admin access required",
    description: "The signed-in member is not an admin",
  },
  NOT_FOUND: {
    status: 404,
    detail: "Not found",
    description: "No such route",
  },
  SESSION_NOT_FOUND: {
    status: 404,
    detail: "Session not found",
    description: "No live session of yours has this id",
  },
  USER_NOT_FOUND: {
    status: 404,
    detail: "User not found",
    description: "No account has this id",
  },
  JOB_NOT_FOUND: {
    status: 404,
    detail: "Job not found",
    description: "No job has this id",
  },
  IDENTITY_NOT_FOUND: {
    status: 404,
    detail: "No Google account is linked",
    description: "The member has no linked Google identity",
  },
  OAUTH_NOT_CONFIGURED: {
    status: 404,
    detail: "Sign in with Google is not configured",
    description: "`GOOGLE_CLIENT_ID` and `GOOGLE_CLIENT_SECRET` are not set",
  },
  WEBHOOK_NOT_FOUND: {
    status: 404,
    detail: "Webhook endpoint not found",
    description: "No webhook endpoint has this id",
  },
  WEBHOOK_DELIVERY_NOT_FOUND: {
    status: 404,
    detail: "Webhook delivery not found",
    description: "No webhook delivery has this id",
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    detail: "Method not allowed",
    description: "The path exists, not with this method; `Allow` lists the methods",
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    detail: "Request body too large",
    description: "The body is over the size limit (`MAX_BODY_BYTES`)",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    detail: "Content-Type must be application/json",
    description: "A body was sent without `Content-Type: application/json`",
  },
  RATE_LIMITED: {
    status: 429,
    detail: "Too many requests, try again later",
    description: "Too many attempts; wait the seconds in `Retry-After`",
  },
  OAUTH_UNAVAILABLE: {
    status: 503,
    detail: "Google could not be reached; try again later",
    description: "The OpenID provider's discovery or token endpoint did not answer",
  },
  INTERNAL_ERROR: {
    status: 500,
    detail: "Internal server error",
    description: "An unexpected failure, logged with the request id",
  },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof errorCodes;

/**
 * The one error type services throw. Its code decides the HTTP status (see `errorCodes`); its
 * detail is safe to show to the caller, so it never holds a secret, a stack or SQL.
 */
export class DomainError extends Error {
  override name = "DomainError";
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds the caller should wait, sent as `Retry-After` on 429. */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, detail?: string, options?: { retryAfterSeconds?: number }) {
    super(detail ?? errorCodes[code].detail);
    this.code = code;
    this.status = errorCodes[code].status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
