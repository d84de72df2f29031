import { eq, sql } from 'drizzle-orm';
import { customType, pgTable, smallint, text } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => Buffer.from(v),
});

/** The one row of the clinic's settings (migrations/0029_clinic.sql): id is always 1. */
export const clinicSettings = pgTable('clinic_settings', {
  id: smallint('id').primaryKey().default(1),
  name: text('name').notNull().default('Telecare'),
  addressLines: text('address_lines')
    .array()
    .notNull()
    .default(sql`'{}'`),
  phone: text('phone'),
  contactEmail: text('contact_email'),
  primaryColor: text('primary_color'),
  accentColor: text('accent_color'),
  mailFooter: text('mail_footer'),
  logo: bytea('logo'),
  logoType: text('logo_type').$type<'image/png' | 'image/jpeg'>(),
  logoSha256: text('logo_sha256'),
  updatedAt: ts('updated_at')
    .notNull()
    .default(sql`date_trunc('milliseconds', now())`),
});

const settingsColumns = {
  name: clinicSettings.name,
  addressLines: clinicSettings.addressLines,
  phone: clinicSettings.phone,
  contactEmail: clinicSettings.contactEmail,
  primaryColor: clinicSettings.primaryColor,
  accentColor: clinicSettings.accentColor,
  mailFooter: clinicSettings.mailFooter,
  logoSha256: clinicSettings.logoSha256,
  updatedAt: clinicSettings.updatedAt,
};

/** The settings without the logo's bytes. */
export async function settings(ex: Executor) {
  const [row] = await ex.select(settingsColumns).from(clinicSettings).where(eq(clinicSettings.id, 1)).limit(1);
  return row;
}

export type Settings = Awaited<ReturnType<typeof settings>>;
export type SettingsUpdate = Pick<
  typeof clinicSettings.$inferInsert,
  'name' | 'addressLines' | 'phone' | 'contactEmail' | 'primaryColor' | 'accentColor' | 'mailFooter'
>;

/** Locks the row and writes the settings; answers them as stored. */
export async function updateSettings(ex: Executor, v: SettingsUpdate) {
  const [row] = await ex
    .update(clinicSettings)
    .set({ ...v, updatedAt: sql`date_trunc('milliseconds', now())` })
    .where(eq(clinicSettings.id, 1))
    .returning(settingsColumns);
  return row;
}

export async function logo(ex: Executor): Promise<{ logo: Buffer; logoType: 'image/png' | 'image/jpeg'; logoSha256: string } | null> {
  const [row] = await ex
    .select({ logo: clinicSettings.logo, logoType: clinicSettings.logoType, logoSha256: clinicSettings.logoSha256 })
    .from(clinicSettings)
    .where(eq(clinicSettings.id, 1))
    .limit(1);
  return row?.logo && row.logoType && row.logoSha256 ? { logo: row.logo, logoType: row.logoType, logoSha256: row.logoSha256 } : null;
}

export async function setLogo(
  ex: Executor,
  v: { logo: Buffer; logoType: 'image/png' | 'image/jpeg'; logoSha256: string } | { logo: null; logoType: null; logoSha256: null },
) {
  const [row] = await ex
    .update(clinicSettings)
    .set({ ...v, updatedAt: sql`date_trunc('milliseconds', now())` })
    .where(eq(clinicSettings.id, 1))
    .returning(settingsColumns);
  return row;
}
