import { Type, type Static } from 'typebox';
import { Closed, IdParams, Nullable, Text, Timestamp, Uuid } from '../../platform/schema.ts';
import { pageQueryProperties } from '../../platform/pagination.ts';
import type { EntryView, OfferRow } from './repo.ts';

export const EntryStatus = Type.Union([Type.Literal('WAITING'), Type.Literal('OFFERED'), Type.Literal('BOOKED')], {
  description: 'WAITING: in line; OFFERED: a freed slot is held for this entry (see `offer`); BOOKED: an offer was accepted',
});

/** The offer as the contract's `waitlist.offer` event carries it. */
export const OfferSchema = Type.Object({
  id: Uuid(),
  doctorId: Uuid(),
  startsAt: Timestamp(),
  endsAt: Timestamp(),
  expiresAt: Timestamp('The slot is held for the patient until then'),
});
export type Offer = Static<typeof OfferSchema>;

const PersonSummary = Type.Object({ id: Uuid(), firstname: Type.String(), lastname: Type.String() });

export const EntrySchema = Type.Object({
  id: Uuid(),
  doctorId: Uuid(),
  patientId: Uuid(),
  from: Timestamp(),
  to: Timestamp(),
  status: EntryStatus,
  createdAt: Timestamp(),
  offer: Nullable(OfferSchema),
  doctor: PersonSummary,
  patient: PersonSummary,
});
export type Entry = Static<typeof EntrySchema>;

export const JoinBody = Closed({
  doctorId: Uuid(),
  from: Timestamp('Start of the acceptable window'),
  to: Timestamp('End of the acceptable window: after `from`, at most 31 days later, in the future'),
});
export type JoinBody = Static<typeof JoinBody>;

export const EntryListQuery = Type.Object({ status: Type.Optional(EntryStatus), ...pageQueryProperties }, { additionalProperties: false });

export const AcceptBody = Closed({ reason: Type.Optional(Text(0, 2000)) });

export const EntryIdParams = IdParams('id');
export const OfferIdParams = IdParams('offerId');

export const toOffer = (o: OfferRow): Offer => ({
  id: o.id,
  doctorId: o.doctorId,
  startsAt: o.startsAt.toISOString(),
  endsAt: o.endsAt.toISOString(),
  expiresAt: o.expiresAt.toISOString(),
});

export function toEntry(v: EntryView): Entry {
  return {
    id: v.id,
    doctorId: v.doctorId,
    patientId: v.patientId,
    from: v.fromAt.toISOString(),
    to: v.toAt.toISOString(),
    status: v.status as Entry['status'],
    createdAt: v.createdAt.toISOString(),
    offer: v.offer ? toOffer(v.offer) : null,
    doctor: v.doctor,
    patient: v.patient,
  };
}
