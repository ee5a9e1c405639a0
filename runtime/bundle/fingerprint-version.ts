/** Changes whenever what a step fingerprint covers changes, so that no cached fingerprint outlives its rules. */
export const FINGERPRINT_VERSION = "steplab-step-fingerprint-1";
