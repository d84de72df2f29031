export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_TOKEN'
  | 'FORBIDDEN'
  | 'EMAIL_NOT_VERIFIED'
  | 'ACCOUNT_SUSPENDED'
  | 'DOCTOR_NOT_VERIFIED'
  | 'NO_CARE_RELATIONSHIP'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'USERNAME_TAKEN'
  | 'EMAIL_TAKEN'
  | 'SLOT_UNAVAILABLE'
  | 'INVALID_TRANSITION'
  | 'PRESCRIPTION_LIMIT_REACHED'
  | 'BOOKING_LIMIT_REACHED'
  | 'CANCELLATION_WINDOW_PASSED'
  | 'WAITLIST_OFFER_EXPIRED'
  | 'WAITLIST_LIMIT_REACHED'
  | 'VISIT_NOT_OPEN'
  | 'GUEST_LIMIT_REACHED'
  | 'INVITE_USED'
  | 'INVITE_GONE'
  | 'ALLERGY_CONFLICT'
  | 'NOTE_SIGNED'
  | 'QUOTA_EXCEEDED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONSENT_REQUIRED'
  | 'LOCATION_REQUIRED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export const ERROR_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  EMAIL_NOT_VERIFIED: 403,
  ACCOUNT_SUSPENDED: 403,
  DOCTOR_NOT_VERIFIED: 403,
  NO_CARE_RELATIONSHIP: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  USERNAME_TAKEN: 409,
  EMAIL_TAKEN: 409,
  SLOT_UNAVAILABLE: 409,
  INVALID_TRANSITION: 409,
  PRESCRIPTION_LIMIT_REACHED: 409,
  BOOKING_LIMIT_REACHED: 409,
  CANCELLATION_WINDOW_PASSED: 409,
  WAITLIST_OFFER_EXPIRED: 409,
  WAITLIST_LIMIT_REACHED: 409,
  VISIT_NOT_OPEN: 409,
  GUEST_LIMIT_REACHED: 409,
  INVITE_USED: 409,
  INVITE_GONE: 410,
  ALLERGY_CONFLICT: 409,
  NOTE_SIGNED: 409,
  QUOTA_EXCEEDED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CONSENT_REQUIRED: 409,
  LOCATION_REQUIRED: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export const ERROR_TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request does not match the schema',
  UNAUTHENTICATED: 'Authentication required',
  INVALID_CREDENTIALS: 'Invalid credentials',
  INVALID_TOKEN: 'The token is invalid or expired',
  FORBIDDEN: 'Not allowed',
  EMAIL_NOT_VERIFIED: 'Email address not verified',
  ACCOUNT_SUSPENDED: 'Account suspended',
  DOCTOR_NOT_VERIFIED: 'Doctor not verified',
  NO_CARE_RELATIONSHIP: 'No care relationship',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  USERNAME_TAKEN: 'Username taken',
  EMAIL_TAKEN: 'Email taken',
  SLOT_UNAVAILABLE: 'Slot unavailable',
  INVALID_TRANSITION: 'Invalid status transition',
  PRESCRIPTION_LIMIT_REACHED: 'Prescription limit of the appointment reached',
  BOOKING_LIMIT_REACHED: 'Booking limit reached',
  CANCELLATION_WINDOW_PASSED: 'Cancellation window passed',
  WAITLIST_OFFER_EXPIRED: 'Waitlist offer expired',
  WAITLIST_LIMIT_REACHED: 'Waitlist limit reached',
  VISIT_NOT_OPEN: 'The video visit is not open',
  GUEST_LIMIT_REACHED: 'Guest limit of the visit reached',
  INVITE_USED: 'The guest link has already been used',
  INVITE_GONE: 'The guest link is no longer valid',
  ALLERGY_CONFLICT: 'The prescription conflicts with an active allergy',
  NOTE_SIGNED: 'The visit note is signed',
  QUOTA_EXCEEDED: 'Attachment quota exceeded',
  PAYLOAD_TOO_LARGE: 'Upload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported file type',
  CONSENT_REQUIRED: 'Telehealth consent required',
  LOCATION_REQUIRED: 'Location required',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused with a different request',
  RATE_LIMITED: 'Too many requests',
  UNAVAILABLE: 'Service unavailable',
  INTERNAL: 'Internal error',
};

export interface FieldError {
  path: string;
  message: string;
}

/** The one error type services throw; the error handler renders it as problem+json. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
    /** Extra members of the problem document a code defines (e.g. ALLERGY_CONFLICT's `conflicts`). */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail ?? ERROR_TITLES[code]);
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what = 'resource') => new AppError('NOT_FOUND', `No such ${what}`);
export const forbidden = (detail = 'This role may not do this') => new AppError('FORBIDDEN', detail);
export const invalidTransition = (detail: string) => new AppError('INVALID_TRANSITION', detail);
export const validation = (path: string, message: string) => new AppError('VALIDATION_FAILED', message, [{ path, message }]);
