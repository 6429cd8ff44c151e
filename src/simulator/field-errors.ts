/**
 * Field errors as k8s.io/apimachinery's field.Error prints them, for 422 Invalid answers
 * (a cause per error: reason, field, message). Shared by the validation of the core, batch
 * and RBAC kinds.
 */
import { goQuote } from './rbac/go-format.js';

export interface FieldError {
  field: string;
  /** StatusCause reason. */
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate';
  /** What follows `field: ` in the message. */
  body: string;
}

export const required = (field: string, detail = ''): FieldError => ({
  field,
  reason: 'FieldValueRequired',
  body: detail ? `Required value: ${detail}` : 'Required value',
});

/** `value` already as Go's %v/%q prints it. */
export const invalid = (field: string, value: string, detail: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  body: `Invalid value: ${value}: ${detail}`,
});

export const duplicate = (field: string, value: string): FieldError => ({
  field,
  reason: 'FieldValueDuplicate',
  body: `Duplicate value: ${value}`,
});

/** `value` already as Go's %q prints it; the supported values are quoted here. */
export const notSupported = (field: string, value: string, supported: string[]): FieldError => ({
  field,
  reason: 'FieldValueNotSupported',
  body: `Unsupported value: ${value}: supported values: ${supported.map(goQuote).join(', ')}`,
});
