import type { Config } from './config.ts';

export interface StartupFinding {
  /** The variable to set. */
  variable: string;
  message: string;
}

type Env = Record<string, string | undefined>;

/**
 * What a production start (NODE_ENV=production) would leave broken or unprotected without saying so:
 * each finding is one warning line at start, or a refusal to start with STARTUP_CHECKS=strict.
 * Development starts (the default NODE_ENV) are quiet: mail to disk and plain HTTP are how they work.
 */
export function productionFindings(config: Config, env: Env = process.env): StartupFinding[] {
  if (config.nodeEnv !== 'production') return [];
  const out: StartupFinding[] = [];
  if (!config.smtpUrl) {
    out.push({
      variable: 'SMTP_URL',
      message: `SMTP_URL is not set: mails (email verification, password reset, reminders) are written under ${config.dataDir}/mail and never delivered`,
    });
  }
  if (!env.PUBLIC_URL) {
    out.push({
      variable: 'PUBLIC_URL',
      message: `PUBLIC_URL is not set: links in mails point to ${config.publicUrl}, which patients cannot open; set it to the clinic's https:// address`,
    });
  } else if (config.publicUrl.startsWith('http:')) {
    out.push({
      variable: 'PUBLIC_URL',
      message: `PUBLIC_URL ${config.publicUrl} is plain HTTP: sign-in, verification and reset links travel unencrypted; serve the clinic over https:// (docs/deployment.md)`,
    });
  }
  if (!config.iceServers.some((u) => u.startsWith('turn'))) {
    out.push({
      variable: 'ICE_SERVERS',
      message:
        'no TURN server in ICE_SERVERS (with TURN_SECRET): video visits connect only when both browsers reach each other directly, which NATs and firewalls often prevent',
    });
  }
  return out;
}
