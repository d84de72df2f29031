// iCalendar (RFC 5545) documents for invitations and feeds, built with ical-generator rather than by
// hand, so folding, escaping and the VCALENDAR/VEVENT structure are the library's concern.
import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';

export interface CalendarEvent {
  /** Stable per appointment: every invitation, update, cancellation and feed entry of it shares it. */
  uid: string;
  sequence: number;
  start: Date;
  end: Date;
  /** In the reader's language (the recipient of the invitation, the owner of the feed). */
  summary: string;
  /** The reader's local time of the appointment, their zone named, in their language (times are written in UTC). */
  localTime: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  url: string;
  stamp: Date;
}

/** The document's product id, its LANGUAGE the reader's (RFC 5545 § 3.7.3 leaves it free-form). */
const prodId = (language: string) => ({ company: 'Telecare', product: 'Telecare', language: language.toUpperCase() });

/** "2027-01-05 09:00–09:30 UTC" */
export function utcText(start: Date, end: Date): string {
  return `${start.toISOString().slice(0, 10)} ${start.toISOString().slice(11, 16)}–${end.toISOString().slice(11, 16)} UTC`;
}

/**
 * A parameter value (CN) encoded per RFC 6868: `^` → `^^`, `"` → `^'`, a line break → `^n`. RFC 5545 gives a
 * quoted parameter value no escape at all, so a quote in a name would end the value early (and the library's
 * backslash escaping is not understood by calendar clients); the library only quotes what this returns.
 */
export function paramText(value: string): string {
  return value
    .replace(/\^/g, '^^')
    .replace(/"/g, "^'")
    .replace(/\r\n|\r|\n/g, '^n');
}

const person = (p: { name: string; email: string } | undefined) => p && { name: paramText(p.name), email: p.email };

function addEvent(
  cal: ReturnType<typeof ical>,
  e: CalendarEvent,
  organizer?: { name: string; email: string },
  attendee?: { name: string; email: string },
) {
  cal.createEvent({
    id: e.uid,
    sequence: e.sequence,
    start: e.start,
    end: e.end,
    stamp: e.stamp,
    summary: e.summary,
    description: `${e.localTime}\n${e.url}`,
    url: e.url,
    status:
      e.status === 'CANCELLED'
        ? ICalEventStatus.CANCELLED
        : e.status === 'CONFIRMED'
          ? ICalEventStatus.CONFIRMED
          : ICalEventStatus.TENTATIVE,
    organizer: person(organizer) ?? null,
    attendees: attendee ? [person(attendee)!] : [],
  });
}

/**
 * One event as an invitation mail's attachment: METHOD:REQUEST for a new or changed appointment,
 * METHOD:CANCEL when it is cancelled. The organizer is the service's sender address, so no party's
 * own address is disclosed to the other.
 */
export function invitation(
  language: string,
  e: CalendarEvent,
  method: 'REQUEST' | 'CANCEL',
  organizer: { name: string; email: string },
  attendee: { name: string; email: string },
): string {
  const cal = ical({ prodId: prodId(language), method: method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST });
  addEvent(cal, method === 'CANCEL' ? { ...e, status: 'CANCELLED' } : e, organizer, attendee);
  return cal.toString();
}

/** A subscription feed (no METHOD, as RFC 7986 feeds are published). */
export function feed(language: string, name: string, events: CalendarEvent[]): string {
  const cal = ical({ prodId: prodId(language), name });
  for (const e of events) addEvent(cal, e);
  return cal.toString();
}
