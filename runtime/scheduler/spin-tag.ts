/** The tag of a `spin --persist` scratch run: one task, not a run of the whole flow (resume and spin never start from one). */
export const SPIN_TAG = "spin";
