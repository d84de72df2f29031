// Drizzle definitions of the identity tables (migrations/0001_identity.sql is the source of truth):
// accounts, sessions and the tokens and throttle rows that belong to them. Other modules read `users`
// (names, roles) from here.
import { bigserial, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/tables.ts';
import type { Locale } from '../../platform/i18n.ts';

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  username: text('username').notNull(),
  email: text('email').notNull(),
  passwordHash: text('password_hash').notNull(),
  firstname: text('firstname').notNull(),
  lastname: text('lastname').notNull(),
  role: text('role').$type<'PATIENT' | 'DOCTOR' | 'ADMIN'>().notNull(),
  emailVerifiedAt: ts('email_verified_at'),
  accountStatus: text('account_status').$type<'ACTIVE' | 'SUSPENDED' | 'CLOSED'>().notNull().default('ACTIVE'),
  locale: text('locale').$type<Locale>().notNull().default('en'),
  timeZone: text('time_zone').notNull().default('UTC'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  // Migration 0030: set once, when the holder closes the account (never reopened).
  closedAt: ts('closed_at'),
  retainUntil: ts('retain_until'),
});

export const sessions = pgTable('sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  revokedAt: ts('revoked_at'),
  revokedReason: text('revoked_reason'),
});

export const refreshTokens = pgTable('refresh_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  sessionId: uuid('session_id').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  spentAt: ts('spent_at'),
});

export const emailTokens = pgTable('email_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull(),
  purpose: text('purpose').$type<'VERIFY_EMAIL' | 'RESET_PASSWORD' | 'CHANGE_EMAIL'>().notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
  // Migration 0030: a change of address carries the new address and the session that asked for it.
  newEmail: text('new_email'),
  sessionId: uuid('session_id'),
});

export const loginFailures = pgTable('login_failures', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  accountKey: text('account_key').notNull(),
  ip: text('ip').notNull(),
  at: ts('at').notNull().defaultNow(),
});
