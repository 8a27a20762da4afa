#!/usr/bin/python3
"""Decodes hex PDUs with Debian's python3-gammu, an SMS decoder we did not write.

Reads one hex PDU per line on stdin (SMSC field first) and prints one JSON
object per line: the fields the tests compare, or {"error": ...} when gammu
refuses the PDU. Must run under /usr/bin/python3, where Debian installs gammu.
"""
import json
import sys

import gammu


def describe(pdu_hex):
    try:
        sms = gammu.DecodePDU(bytes.fromhex(pdu_hex))
    except Exception as e:  # gammu raises its own error types; all mean "refused"
        return {"error": str(e)}
    udh = sms["UDH"]
    return {
        "type": sms["Type"],
        "number": sms["Number"],
        "text": sms["Text"],
        "coding": sms["Coding"],
        "udh_type": udh["Type"],
        "ref8": udh["ID8bit"],
        "part": udh["PartNumber"],
        "parts": udh["AllParts"],
        "validity": sms["SMSC"]["Validity"],
        "smsc": sms["SMSC"]["Number"],
        "message_ref": sms["MessageReference"],
        "delivery_status": sms["DeliveryStatus"],
        "length": sms["Length"],
    }


def main():
    for line in sys.stdin:
        line = line.strip()
        if line:
            print(json.dumps(describe(line), ensure_ascii=False))


if __name__ == "__main__":
    main()
