// The clinical record as FHIR R4: allergies → AllergyIntolerance, medications → MedicationStatement,
// problems → Condition, a signed visit note → the Encounter of the visit and the Composition that is its
// note. Code systems are FHIR's own (http://terminology.hl7.org/CodeSystem/…), the record's coded values
// keep the shipped terminology's system and code (RxNorm), and the note's type is LOINC 11506-3 "Progress
// note" (docs/decisions.md, "The clinical record in FHIR").
import type {
  AllergyIntolerance,
  CodeableConcept,
  Composition,
  CompositionSection,
  Condition,
  Encounter,
  MedicationStatement,
  Patient,
  Practitioner,
  Reference,
} from '@medplum/fhirtypes';
import type { Allergy, Medication, Problem, VisitNote } from '../../clinical/index.ts';

const HL7 = 'http://terminology.hl7.org/CodeSystem';

const concept = (system: string, code: string): CodeableConcept => ({ coding: [{ system, code }] });

/** A coded value of the record: its terminology coding when it has one, its display as text always. */
function codeable(c: { system?: string; code?: string; display: string }): CodeableConcept {
  return c.system && c.code ? { coding: [{ system: c.system, code: c.code, display: c.display }], text: c.display } : { text: c.display };
}

/** Who recorded an entry: the patient themself (a self-report) or a doctor. */
const recorder = (by: string, patientId: string): Reference<Patient | Practitioner> => ({
  reference: by === patientId ? `Patient/${by}` : `Practitioner/${by}`,
});

/** The intake answer an entry was copied from: its QuestionnaireResponse, the item named in the display. */
const fromAnswer = (s: { responseId: string; linkId: string }): Reference => ({
  reference: `QuestionnaireResponse/${s.responseId}`,
  display: `Intake answer ${s.linkId}`,
});

const FHIR_CATEGORY = { medication: 'medication', food: 'food', environment: 'environment' } as const;

export function toFhirAllergyIntolerance(a: Allergy): AllergyIntolerance {
  const eie = a.status === 'entered-in-error';
  return {
    resourceType: 'AllergyIntolerance',
    id: a.id,
    // ait-1/ait-2: an entry in error has no clinical status, only that verification.
    ...(eie ? {} : { clinicalStatus: concept(`${HL7}/allergyintolerance-clinical`, a.status) }),
    verificationStatus: concept(`${HL7}/allergyintolerance-verification`, eie ? 'entered-in-error' : a.verification),
    // FHIR's categories have no "other": such an entry has none.
    ...(a.category !== 'other' ? { category: [FHIR_CATEGORY[a.category]] } : {}),
    criticality: a.criticality,
    code: codeable(a.substance),
    patient: { reference: `Patient/${a.patientId}` },
    recordedDate: a.recordedAt,
    recorder: recorder(a.recordedBy, a.patientId),
    ...(a.reaction ? { reaction: [{ manifestation: [{ text: a.reaction }] }] } : {}),
    // R4 AllergyIntolerance has no derivedFrom: the intake answer it was copied from is said in a note.
    ...(a.source
      ? { note: [{ text: `Copied from intake answer ${a.source.linkId} (QuestionnaireResponse/${a.source.responseId})` }] }
      : {}),
    meta: { lastUpdated: a.updatedAt },
  };
}

export function toFhirMedicationStatement(m: Medication): MedicationStatement {
  return {
    resourceType: 'MedicationStatement',
    id: m.id,
    status: m.status,
    medicationCodeableConcept: codeable(m.medication),
    subject: { reference: `Patient/${m.patientId}` },
    ...(m.since ? { effectivePeriod: { start: m.since } } : {}),
    dateAsserted: m.recordedAt,
    informationSource: recorder(m.recordedBy, m.patientId),
    ...(m.dosage ? { dosage: [{ text: m.dosage }] } : {}),
    // Copied from an intake answer (issue 27): the QuestionnaireResponse it came from.
    ...(m.source ? { derivedFrom: [fromAnswer(m.source)] } : {}),
    // Unconfirmed (self-reported, not yet confirmed by a doctor) is said in a note: MedicationStatement has no verification.
    ...(m.verification === 'unconfirmed'
      ? { note: [{ text: 'Unconfirmed: reported by the patient, not yet confirmed by a doctor' }] }
      : {}),
    meta: { lastUpdated: m.updatedAt },
  };
}

export function toFhirCondition(c: Problem): Condition {
  const eie = c.clinicalStatus === 'entered-in-error';
  return {
    resourceType: 'Condition',
    id: c.id,
    // con-5: an entry in error has no clinical status.
    ...(eie ? {} : { clinicalStatus: concept(`${HL7}/condition-clinical`, c.clinicalStatus) }),
    verificationStatus: concept(`${HL7}/condition-ver-status`, eie ? 'entered-in-error' : 'confirmed'),
    category: [concept(`${HL7}/condition-category`, 'problem-list-item')],
    code: codeable(c.condition),
    subject: { reference: `Patient/${c.patientId}` },
    ...(c.onset ? { onsetDateTime: c.onset } : {}),
    recordedDate: c.recordedAt,
    recorder: { reference: `Practitioner/${c.recordedBy}` },
    ...(c.note ? { note: [{ text: c.note }] } : {}),
    ...(c.source ? { evidence: [{ detail: [fromAnswer(c.source)] }] } : {}),
    meta: { lastUpdated: c.updatedAt },
  };
}

/** The visit a signed note documents: a finished virtual encounter of its appointment, with its times and reason. */
export function toFhirEncounter({ note: n, visit }: VisitNote): Encounter {
  // Where the patient said they were (kept with the signed note): a contained Location with its ISO 3166 address.
  const l = n.patientLocation;
  const place = l
    ? {
        contained: [
          {
            resourceType: 'Location' as const,
            id: 'patient-location',
            description: `Where the patient stated they were for the visit (stated ${l.statedAt})`,
            mode: 'instance' as const,
            address: { ...(l.city ? { city: l.city } : {}), state: l.region, country: l.country },
          },
        ],
        location: [{ location: { reference: '#patient-location', display: [l.city, l.region, l.country].filter(Boolean).join(', ') } }],
      }
    : {};
  return {
    resourceType: 'Encounter',
    id: n.appointmentId,
    ...(place.contained ? { contained: place.contained } : {}),
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR', display: 'virtual' },
    subject: { reference: `Patient/${n.patientId}` },
    participant: [{ individual: { reference: `Practitioner/${n.doctorId}` } }],
    appointment: [{ reference: `Appointment/${n.appointmentId}` }],
    ...(visit ? { period: { start: visit.startsAt, end: visit.endsAt } } : {}),
    ...(visit?.reason ? { reasonCode: [{ text: visit.reason }] } : {}),
    ...(place.location ? { location: place.location } : {}),
  };
}

const escapeXhtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const narrative = (text: string) => ({
  status: 'generated' as const,
  div: `<div xmlns="http://www.w3.org/1999/xhtml">${escapeXhtml(text).replace(/\r?\n/g, '<br/>')}</div>`,
});

/** The signed SOAP note of a visit, its sections in order, then its addenda (status amended once there are any). */
export function toFhirComposition({ note: n }: VisitNote): Composition {
  const section = (title: string, text: string | null): CompositionSection[] => (text ? [{ title, text: narrative(text) }] : []);
  const sections = [
    ...section('Subjective', n.subjective),
    ...section('Objective', n.objective),
    ...section('Assessment', n.assessment),
    ...section('Plan', n.plan),
    ...n.addenda.map((a) => ({ title: `Addendum (${a.createdAt})`, text: narrative(a.text) })),
  ];
  return {
    resourceType: 'Composition',
    id: n.appointmentId,
    status: n.addenda.length ? 'amended' : 'final',
    type: { coding: [{ system: 'http://loinc.org', code: '11506-3', display: 'Progress note' }], text: 'Visit note (SOAP)' },
    subject: { reference: `Patient/${n.patientId}` },
    encounter: { reference: `Encounter/${n.appointmentId}` },
    date: n.signedAt ?? n.updatedAt,
    author: [{ reference: `Practitioner/${n.doctorId}` }],
    title: 'Visit note',
    attester: [{ mode: 'legal', time: n.signedAt ?? undefined, party: { reference: `Practitioner/${n.doctorId}` } }],
    ...(sections.length ? { section: sections } : {}),
  };
}
