"""Forms of the care pages; validation of a record lives on its model."""


# --- Organizations, programs and staff ---


# --- Enrolment invitations and care teams ---


# --- Clinical notes ---


# --- Sessions ---


# --- Messages ---


# --- Safety follow-ups ---
