import { t, type Locale } from './i18n.ts';

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

/**
 * Each code's title, a key of the shared catalogue (locales/*.json): problem documents carry it in the language
 * the request's Accept-Language negotiates (contract, "Languages and time zones"); `code` stays the stable
 * identifier. Keys are spelt out whole so the catalogue guard finds them.
 */
export const ERROR_TITLE_KEYS: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'problem.validationFailed',
  UNAUTHENTICATED: 'problem.unauthenticated',
  INVALID_CREDENTIALS: 'problem.invalidCredentials',
  INVALID_TOKEN: 'problem.invalidToken',
  FORBIDDEN: 'problem.forbidden',
  EMAIL_NOT_VERIFIED: 'problem.emailNotVerified',
  ACCOUNT_SUSPENDED: 'problem.accountSuspended',
  DOCTOR_NOT_VERIFIED: 'problem.doctorNotVerified',
  NO_CARE_RELATIONSHIP: 'problem.noCareRelationship',
  NOT_FOUND: 'problem.notFound',
  METHOD_NOT_ALLOWED: 'problem.methodNotAllowed',
  USERNAME_TAKEN: 'problem.usernameTaken',
  EMAIL_TAKEN: 'problem.emailTaken',
  SLOT_UNAVAILABLE: 'problem.slotUnavailable',
  INVALID_TRANSITION: 'problem.invalidTransition',
  PRESCRIPTION_LIMIT_REACHED: 'problem.prescriptionLimitReached',
  BOOKING_LIMIT_REACHED: 'problem.bookingLimitReached',
  CANCELLATION_WINDOW_PASSED: 'problem.cancellationWindowPassed',
  WAITLIST_OFFER_EXPIRED: 'problem.waitlistOfferExpired',
  WAITLIST_LIMIT_REACHED: 'problem.waitlistLimitReached',
  VISIT_NOT_OPEN: 'problem.visitNotOpen',
  GUEST_LIMIT_REACHED: 'problem.guestLimitReached',
  INVITE_USED: 'problem.inviteUsed',
  INVITE_GONE: 'problem.inviteGone',
  ALLERGY_CONFLICT: 'problem.allergyConflict',
  NOTE_SIGNED: 'problem.noteSigned',
  QUOTA_EXCEEDED: 'problem.quotaExceeded',
  PAYLOAD_TOO_LARGE: 'problem.payloadTooLarge',
  UNSUPPORTED_MEDIA_TYPE: 'problem.unsupportedMediaType',
  CONSENT_REQUIRED: 'problem.consentRequired',
  LOCATION_REQUIRED: 'problem.locationRequired',
  IDEMPOTENCY_KEY_REUSED: 'problem.idempotencyKeyReused',
  RATE_LIMITED: 'problem.rateLimited',
  UNAVAILABLE: 'problem.unavailable',
  INTERNAL: 'problem.internal',
};

/** A code's title in `locale`. */
export const errorTitle = (code: ErrorCode, locale: Locale): string => t(locale, ERROR_TITLE_KEYS[code]);

/** The English titles: the OpenAPI description's list of codes and errors' messages in the logs. */
export const ERROR_TITLES = Object.fromEntries(
  Object.keys(ERROR_TITLE_KEYS).map((code) => [code, errorTitle(code as ErrorCode, 'en')]),
) as Record<ErrorCode, string>;

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
