import { Type } from '@sinclair/typebox';
import { MAX_ROTATION_GRACE_SECONDS } from './signing.js';

const nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const WebhookEndpointSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()], {
    description: 'why the server disabled it: gone (the receiver answered 410) or failing (failing for 5 days)',
  }),
  failingSince: nullable(Type.String({ format: 'date-time' })),
  lastSuccessAt: nullable(Type.String({ format: 'date-time' })),
  previousSecretUntil: nullable(
    Type.String({ format: 'date-time', description: 'during a rotation: the old secret also signs until then' }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  version: Type.Integer(),
});

export const WebhookEndpointWithSecret = Type.Intersect([
  WebhookEndpointSchema,
  Type.Object({ secret: Type.String({ description: 'whsec_…: shown once; keep it to verify signatures' }) }),
]);

const EventList = Type.Array(Type.String({ maxLength: 60 }), {
  minItems: 1,
  maxItems: 50,
  description: 'event types (GET /api/v1/webhooks/event-types) or * for all',
});

export const WebhookCreate = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    events: EventList,
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const WebhookPatch = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    events: Type.Optional(EventList),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

export const RotateBody = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_ROTATION_GRACE_SECONDS,
        description: 'how long the old secret keeps signing too (default 86400; 0: stop at once)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const WebhookDeliverySchema = Type.Object({
  id: Type.String(),
  webhookId: Type.String({ description: 'the webhook-id header: the same for every attempt and replay of an event' }),
  type: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttemptAt: nullable(Type.String({ format: 'date-time' })),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: nullable(Type.String({ format: 'date-time' })),
});

export const WebhookDeliveryDetail = Type.Intersect([
  WebhookDeliverySchema,
  Type.Object({
    body: Type.String({ description: 'the exact JSON sent' }),
    attemptLog: Type.Array(
      Type.Object({
        at: Type.String({ format: 'date-time' }),
        status: Type.Union([Type.Integer(), Type.Null()]),
        latencyMs: Type.Integer(),
        error: Type.Union([Type.String(), Type.Null()]),
        responseExcerpt: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
  }),
]);

export const DeliveryQuery = Type.Object({
  state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export const ReplayBody = Type.Object(
  { since: Type.String({ format: 'date-time', description: 'replay failed deliveries created since this time' }) },
  { additionalProperties: false },
);

export const SettingsSchema = Type.Object({
  allowedHosts: Type.Array(Type.String()),
  environmentAllowedHosts: Type.Array(Type.String(), { description: 'from WEBHOOK_ALLOWED_HOSTS (read-only)' }),
  version: Type.Integer(),
});

export const SettingsPut = Type.Object(
  {
    allowedHosts: Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 }),
    version: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
