import { Type, type Static } from 'typebox';
import { Closed, Email, MultiLine, Nullable, SingleLine, Timestamp, iso } from '../../platform/schema.ts';
import type { Settings } from './repo.ts';

const Colour = (description: string) =>
  Type.String({
    pattern: '^#[0-9A-Fa-f]{6}$',
    description: `${description}: #rrggbb. White text on it must reach WCAG AA contrast (at least 4.5:1), else 400 VALIDATION_FAILED`,
  });

/** What an admin sends: every field, as the settings are to be (a PUT). */
export const ClinicSettingsBody = Closed({
  name: SingleLine(1, 100, "The clinic's name: the portal's header and title, the From name and subjects of mails, the PDF"),
  addressLines: Type.Array(SingleLine(1, 200), { maxItems: 5, description: 'The postal address, one line each (0–5 lines)' }),
  phone: Nullable(Type.String({ minLength: 1, maxLength: 40, pattern: '^\\+?[0-9 ()./-]{1,40}$', description: 'e.g. "+49 30 1234567"' })),
  contactEmail: Nullable(Email()),
  primaryColor: Nullable(Colour('The header and buttons')),
  accentColor: Nullable(Colour('Links and highlights')),
  mailFooter: Nullable(MultiLine(1, 1000, 'Closes every mail (at most 1,000 characters, line breaks kept)')),
});
export type ClinicSettingsBody = Static<typeof ClinicSettingsBody>;

/** What anyone may read: what a portal page or a mail needs of the clinic. */
export const Clinic = Type.Object(
  {
    name: Type.String(),
    addressLines: Type.Array(Type.String()),
    phone: Nullable(Type.String()),
    contactEmail: Nullable(Type.String()),
    primaryColor: Nullable(Type.String({ description: '#rrggbb, lower case' })),
    accentColor: Nullable(Type.String({ description: '#rrggbb, lower case' })),
    mailFooter: Nullable(Type.String()),
    logoUrl: Nullable(Type.String({ description: "The logo's address (it changes when the logo does); null without a logo" })),
    updatedAt: Timestamp(),
  },
  { $id: 'Clinic' },
);
export type Clinic = Static<typeof Clinic>;

export function toClinic(s: Settings): Clinic {
  return {
    name: s.name,
    addressLines: s.addressLines,
    phone: s.phone,
    contactEmail: s.contactEmail,
    primaryColor: s.primaryColor,
    accentColor: s.accentColor,
    mailFooter: s.mailFooter,
    logoUrl: s.logoSha256 ? `/api/v1/clinic/logo?v=${s.logoSha256.slice(0, 16)}` : null,
    updatedAt: iso(s.updatedAt),
  };
}
