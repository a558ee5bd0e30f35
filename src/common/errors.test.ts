import { describe, expect, it } from 'vitest';
import { ErrorCode, HearthError, httpStatusOf, toHearthError } from './errors.ts';

describe('HearthError', () => {
  it('maps codes to HTTP statuses', () => {
    expect(new HearthError(ErrorCode.unknownConversation, 'x').httpStatus).toBe(404);
    expect(httpStatusOf(ErrorCode.payloadTooLarge)).toBe(413);
    expect(httpStatusOf(ErrorCode.busy)).toBe(409);
  });

  it('hides the message of unexpected errors on the wire but keeps the cause', () => {
    const cause = new Error('SQLITE_BUSY at /srv/data/hearth.db');
    const error = toHearthError(cause);
    expect(error.code).toBe('internal');
    expect(error.cause).toBe(cause);
    expect(error.toWire().message).not.toContain('SQLITE');
    expect(toHearthError('plain').message).toBe('plain');
  });

  it('passes Hearth errors through unchanged', () => {
    const error = new HearthError(ErrorCode.busy, 'wait');
    expect(toHearthError(error)).toBe(error);
    expect(error.toWire()).toEqual({ code: 'busy', message: 'wait' });
  });
});
