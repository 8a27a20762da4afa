// The phone tasks' endpoints on lifelined's API: GET /v1/phone-tasks
// [?state=all], GET /v1/phone-tasks/{id}, POST /v1/phone-tasks/{id}/confirm
// with {answered_by, answered_at (RFC 3339 with offset), note?}. Bad input gets
// 422 with every problem by field and changes nothing.
#pragma once

#include "daemon/channels/phone/phone.h"
#include "daemon/intake/intake.h"

namespace lifeline {

// `store` and `runner` must outlive `api`'s use.
void AddPhoneRoutes(IntakeApi& api, AsyncStore& store, PhoneRunner& runner);

}  // namespace lifeline
