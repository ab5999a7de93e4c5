/** The error body every route answers with (errors.ts), as a response schema. */
export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code, e.g. CONFIG_INVALID.' },
        message: { type: 'string' },
        details: {
          type: 'array',
          description: 'Every problem found, each with the key path it belongs to.',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

export const errorResponse = (description: string) => ({ description, ...errorBodySchema }) as const;
