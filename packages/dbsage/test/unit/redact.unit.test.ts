import { describe, expect, it } from 'vitest';
import { hostPort, redactText, redactUrl } from '../../src/util/redact.js';

describe('credential redaction', () => {
  it('removes the password from URLs and keeps the rest', () => {
    expect(redactUrl('postgres://app:hunter2@db.example.com:6432/prod?sslmode=require')).toBe(
      'postgres://app@db.example.com:6432/prod?sslmode=require',
    );
    expect(redactUrl('postgresql://db/x?password=abc')).toBe('postgresql://db/x?password=REDACTED');
  });
  it('redacts URLs and password= pairs inside free text', () => {
    expect(redactText('failed postgres://u:p4ss@h:5432/d and mongodb+srv://m:pw@c/x, password=xyz host=h')).toBe(
      'failed postgres://u@h:5432/d and mongodb+srv://m@c/x, password=REDACTED host=h',
    );
  });
  it('names host:port only', () => {
    expect(hostPort('postgres://u:p@10.1.2.3:6543/db')).toBe('10.1.2.3:6543');
    expect(hostPort('postgres://u:p@db/x')).toBe('db:5432');
  });
});
