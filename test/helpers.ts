// Test harness, one file per concern under test/fixtures/: the app on a real database (app.ts), the
// real SMTP server (mailbox.ts), people and appointments (people.ts), WebSocket clients (ws.ts). Tests
// import them from here.
export * from './fixtures/app.ts';
export * from './fixtures/mailbox.ts';
export * from './fixtures/people.ts';
export * from './fixtures/ws.ts';
