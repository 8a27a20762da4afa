// The SMS channel's public face: PDU encoding, AT reply parsing, the modem
// engine and the durable per-part ledger. Other modules include only this
// header; the files it pulls in each hold one concept and say their contract.
#pragma once

#include "daemon/channels/sms/at_engine.h"
#include "daemon/channels/sms/at_reply.h"
#include "daemon/channels/sms/cms_error.h"
#include "daemon/channels/sms/gsm7.h"
#include "daemon/channels/sms/message_json.h"
#include "daemon/channels/sms/part_ledger.h"
#include "daemon/channels/sms/pdu.h"
#include "daemon/channels/sms/phone_number.h"
#include "daemon/channels/sms/sms_modem.h"
#include "daemon/channels/sms/sms_runner.h"
#include "daemon/channels/sms/sms_sender.h"
#include "daemon/channels/sms/sms_test.h"
#include "daemon/channels/sms/status_report.h"
