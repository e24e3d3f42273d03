/**
 * Every failure a service reports, in one table: a stable code, its HTTP status, and the default
 * message for a person. The `detail` strings fixed by DESIGN.md live here and nowhere else.
 */
export const errorCodes = {
  VALIDATION_ERROR: { status: 400, detail: "Invalid input" },
  MALFORMED_JSON: { status: 400, detail: "Malformed JSON body" },
  EMAIL_TAKEN: { status: 400, detail: "Email already registered" },
  WEAK_PASSWORD: { status: 400, detail: "Password does not meet requirements" },
  SAME_PASSWORD: { status: 400, detail: "New password must be different" },
  SAME_EMAIL: { status: 400, detail: "New email must be different from the current one" },
  ALREADY_VERIFIED: { status: 400, detail: "Email already verified" },
  INVALID_VERIFICATION_TOKEN: { status: 400, detail: "Invalid verification token" },
  INVALID_RESET_TOKEN: { status: 400, detail: "Invalid reset token" },
  INVALID_CANCELLATION_TOKEN: { status: 400, detail: "Invalid cancellation token" },
  NO_FILE: { status: 400, detail: "No file uploaded" },
  FILE_TOO_LARGE: { status: 400, detail: "File size exceeds 5MB limit" },
  UNSUPPORTED_IMAGE_TYPE: { status: 400, detail: "Only JPEG, PNG, and WebP images are allowed" },
  IMAGE_TOO_LARGE: { status: 400, detail: "Image dimensions must not exceed 2000x2000 pixels" },
  IMAGE_UNREADABLE: { status: 400, detail: "The file is not a readable image" },
  IMAGE_TIMEOUT: { status: 400, detail: "Image processing took too long" },
  MALFORMED_MULTIPART: { status: 400, detail: "Malformed multipart/form-data body" },
  NOT_MULTIPART: { status: 415, detail: "Content-Type must be multipart/form-data" },
  INSUFFICIENT_CREDITS: { status: 400, detail: "Insufficient credits" },
  INVALID_JOB_TRANSITION: { status: 400, detail: "Illegal job status transition" },
  INVALID_DATE_RANGE: { status: 400, detail: "start_date must not be after end_date" },
  INVALID_CREDENTIALS: { status: 401, detail: "Invalid email or password" },
  INVALID_REFRESH_TOKEN: { status: 401, detail: "Invalid refresh token" },
  NOT_AUTHENTICATED: { status: 401, detail: "Authentication required" },
  INVALID_ACCESS_TOKEN: { status: 401, detail: "Invalid or expired access token" },
  CURRENT_PASSWORD_INCORRECT: { status: 401, detail: "Current password is incorrect" },
  INVALID_PASSWORD: { status: 401, detail: "Invalid password" },
  FORBIDDEN: { status: 403, detail: "Admin access required" },
  NOT_FOUND: { status: 404, detail: "Not found" },
  SESSION_NOT_FOUND: { status: 404, detail: "Session not found" },
  USER_NOT_FOUND: { status: 404, detail: "User not found" },
  JOB_NOT_FOUND: { status: 404, detail: "Job not found" },
  WEBHOOK_NOT_FOUND: { status: 404, detail: "Webhook endpoint not found" },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, detail: "Webhook delivery not found" },
  METHOD_NOT_ALLOWED: { status: 405, detail: "Method not allowed" },
  PAYLOAD_TOO_LARGE: { status: 413, detail: "Request body too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, detail: "Content-Type must be application/json" },
  RATE_LIMITED: { status: 429, detail: "Too many requests, try again later" },
  INTERNAL_ERROR: { status: 500, detail: "Internal server error" },
} as const satisfies Record<string, { status: number; detail: string }>;

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
