import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { IdParams } from '../../platform/schema.ts';
import { Page } from '../../platform/pagination.ts';
import { actorOf } from '../auth/index.ts';
import * as service from './service.ts';
import * as notes from './notes.ts';
import { searchSubstances } from './terminology.ts';
import {
  AddendumBody,
  Addendum,
  Allergy,
  CreateAllergyBody,
  CreateMedicationBody,
  CreateProblemBody,
  EntryParams,
  ListQuery,
  Medication,
  Note,
  NoteTodo,
  PatchAllergyBody,
  PatchMedicationBody,
  PatchProblemBody,
  PatientParams,
  Problem,
  PutNoteBody,
  Substance,
  SubstanceQuery,
} from './schemas.ts';

const tags = ['clinical record'];
const security = bearerSecurity;

const ACCESS =
  'A verified doctor in a care relationship with the patient reads and writes; the patient reads their own ' +
  '(and self-reports allergies and medications, recorded unconfirmed); admins and everyone else get 404 as for an ' +
  'unknown patient; a doctor whose credentials are not verified gets 403 DOCTOR_NOT_VERIFIED. Every read and change ' +
  "is audited and appears in the patient's access log.";

export default async function clinicalRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const anyone = app.guard();
  const doctor = app.guard({ roles: ['DOCTOR'], verifiedEmail: true, verifiedDoctor: true });

  app.get(
    '/terminology/substances',
    {
      onRequest: anyone,
      schema: {
        operationId: 'searchSubstances',
        tags: ['terminology'],
        security,
        summary: 'Search the shipped terminology (RxNorm ingredients, their brand names and drug classes)',
        description:
          'Anyone authenticated. Matches ingredients having a name or brand-name word that starts with `q` ' +
          '(case-insensitive), own-name matches first; at most 20. No patient data: not audited.',
        querystring: SubstanceQuery,
        response: { 200: Type.Array(Substance), ...problems(400, 401, 403) },
      },
    },
    async (req) => {
      // Reference data, yet no-store like every API answer (security-headers.ts): one rule no route can forget.
      return searchSubstances(req.query.q);
    },
  );

  // The three lists of the record share their routes; what differs is in `service.*Kind` and the schemas.
  const SELF_REPORT =
    "The patient may self-report (verification is then unconfirmed; asking for confirmed answers 403); a doctor's entry is confirmed unless sent unconfirmed.";
  const lists = [
    {
      path: 'allergies',
      what: 'allergies and intolerances',
      ops: ['listAllergies', 'createAllergy', 'updateAllergy'],
      schemas: { create: CreateAllergyBody, patch: PatchAllergyBody, response: Allergy },
      kind: service.allergyKind,
      createNote: SELF_REPORT,
    },
    {
      path: 'medications',
      what: 'medications',
      ops: ['listMedications', 'createMedication', 'updateMedication'],
      schemas: { create: CreateMedicationBody, patch: PatchMedicationBody, response: Medication },
      kind: service.medicationKind,
      createNote: SELF_REPORT,
    },
    {
      path: 'problems',
      what: 'problem list',
      ops: ['listProblems', 'createProblem', 'updateProblem'],
      schemas: { create: CreateProblemBody, patch: PatchProblemBody, response: Problem },
      kind: service.problemKind,
      createNote:
        'Only a treating doctor records problems (the patient gets 403). The server ships no condition codes: conditions are free text.',
    },
  ] as const;

  for (const o of lists) {
    // The kinds are typed by their own bodies; the route's schema validated the body against the same type.
    const kind = o.kind as service.EntryKind<any, any, any, any>;
    app.get(
      `/patients/:patientId/${o.path}`,
      {
        onRequest: anyone,
        schema: {
          operationId: o.ops[0],
          tags,
          security,
          summary: `A patient's ${o.what}, newest first (keyset-paginated)`,
          description: `${ACCESS} Entries marked entered-in-error stay in the list with who marked them and when.`,
          params: PatientParams,
          querystring: ListQuery,
          response: { 200: Page(o.schemas.response), ...problems(400, 401, 403, 404) },
        },
      },
      async (req) => service.listEntries(p, actorOf(req), kind, req.params.patientId, req.query),
    );
    app.post(
      `/patients/:patientId/${o.path}`,
      {
        onRequest: anyone,
        schema: {
          operationId: o.ops[1],
          tags,
          security,
          summary: `Record an entry in a patient's ${o.what}`,
          description: `${ACCESS} ${o.createNote} A code must be one of GET /terminology/substances (400 otherwise); display alone is free text.`,
          params: PatientParams,
          body: o.schemas.create,
          response: { 201: o.schemas.response, ...problems(400, 401, 403, 404) },
        },
      },
      async (req, reply) => reply.code(201).send(await service.createEntry(p, actorOf(req), kind, req.params.patientId, req.body)),
    );
    app.patch(
      `/patients/:patientId/${o.path}/:id`,
      {
        onRequest: anyone,
        schema: {
          operationId: o.ops[2],
          tags,
          security,
          summary: `Change an entry of a patient's ${o.what} (a treating doctor)`,
          description:
            `${ACCESS} Only a treating doctor changes entries (the patient gets 403). Nothing is deleted: status ` +
            'entered-in-error records who and when, and such an entry cannot change again (409 INVALID_TRANSITION).',
          params: EntryParams,
          body: o.schemas.patch,
          response: { 200: o.schemas.response, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (req) => service.patchEntry(p, actorOf(req), kind, req.params.patientId, req.params.id, req.body),
    );
  }

  app.put(
    '/appointments/:id/note',
    {
      onRequest: doctor,
      schema: {
        operationId: 'putVisitNote',
        tags,
        security,
        summary: 'Create or replace the draft visit note (SOAP) of one of the caller’s appointments',
        description:
          "Its doctor only (another doctor's appointment answers 404). The appointment must be CONFIRMED, COMPLETED " +
          'or NO_SHOW (409 INVALID_TRANSITION otherwise). A signed note answers 409 NOTE_SIGNED. Fields left out are ' +
          'emptied: PUT replaces the whole draft. 201 when the draft is created, 200 when replaced.',
        params: IdParams('id'),
        body: PutNoteBody,
        response: { 200: Note, 201: Note, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const r = await notes.putNote(p, actorOf(req), req.params.id, req.body);
      return reply.code(r.created ? 201 : 200).send(r.note);
    },
  );

  app.post(
    '/appointments/:id/note/sign',
    {
      onRequest: doctor,
      schema: {
        operationId: 'signVisitNote',
        tags,
        security,
        summary: 'Sign the visit note: DRAFT → SIGNED, then immutable',
        description:
          'Its doctor only. No note yet answers 404; an already signed note 409 NOTE_SIGNED. From then on the database ' +
          'itself refuses any change or deletion of the note; corrections are addenda.',
        params: IdParams('id'),
        response: { 200: Note, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => notes.signNote(p, actorOf(req), req.params.id),
  );

  app.post(
    '/appointments/:id/note/addenda',
    {
      onRequest: doctor,
      schema: {
        operationId: 'addVisitNoteAddendum',
        tags,
        security,
        summary: 'Add an addendum to a signed visit note',
        description: 'Its doctor only; the note must be signed (a draft answers 409 INVALID_TRANSITION: edit it with PUT).',
        params: IdParams('id'),
        body: AddendumBody,
        response: { 201: Addendum, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await notes.addAddendum(p, actorOf(req), req.params.id, req.body.text)),
  );

  app.get(
    '/appointments/:id/note',
    {
      onRequest: anyone,
      schema: {
        operationId: 'getVisitNote',
        tags,
        security,
        summary: 'Read the visit note of an appointment',
        description: 'Its doctor at any stage; its patient once signed (a draft is 404 to them); everyone else 404. Audited.',
        params: IdParams('id'),
        response: { 200: Note, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => notes.getNote(p, actorOf(req), req.params.id),
  );

  app.get(
    '/patients/:patientId/notes',
    {
      onRequest: anyone,
      schema: {
        operationId: 'listVisitNotes',
        tags,
        security,
        summary: "A patient's visit notes, newest first (keyset-paginated)",
        description: `${ACCESS} The patient sees signed notes; a treating doctor sees signed notes and their own drafts.`,
        params: PatientParams,
        querystring: ListQuery,
        response: { 200: Page(Note), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => notes.listNotes(p, actorOf(req), req.params.patientId, req.query),
  );

  app.get(
    '/doctors/me/note-todos',
    {
      onRequest: doctor,
      schema: {
        operationId: 'listMyNoteTodos',
        tags,
        security,
        summary: "The calling doctor's completed appointments still without a signed note (the agenda's to-do)",
        description: 'Newest first, at most 100. Audited once per patient shown.',
        response: { 200: Type.Array(NoteTodo), ...problems(401, 403) },
      },
    },
    async (req) => notes.noteTodos(p, actorOf(req)),
  );
}
