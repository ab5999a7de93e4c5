const check = {
  type: 'object',
  required: ['ok'],
  properties: {
    ok: { type: 'boolean' },
    problems: { type: 'array', items: { type: 'string' } },
  },
} as const;

const readiness = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: {
      type: 'object',
      required: ['redis', 'store'],
      properties: { redis: check, store: check },
    },
  },
} as const;

export const livezSchema = {
  tags: ['health'],
  summary: 'Liveness: the process is up',
  response: {
    200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
  },
} as const;

export const readyzSchema = {
  tags: ['health'],
  summary: 'Readiness: Redis answers with noeviction + AOF, and the object store lists',
  response: {
    200: { description: 'Ready.', ...readiness },
    503: { description: 'Not ready; each failing check lists its problems.', ...readiness },
  },
} as const;
