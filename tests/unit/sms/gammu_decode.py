#!/usr/bin/python3
"""Decodes hex PDUs with Debian's python3-gammu, an SMS decoder we did not write.

Reads one hex PDU per line on stdin (SMSC field first) and prints one JSON
object per line: the fields the tests compare, or {"error": ...} when gammu
refuses the PDU. Must run under /usr/bin/python3, where Debian installs gammu.
"""
import json
import sys

import gammu


def clean(text):
    """python3-gammu sizes a 7-bit text by TP-UDL, so an escape pair leaves one
    character of unset memory at the end; it can be a lone surrogate, which
    JSON cannot carry. Such characters become U+FFFD; the tests drop exactly
    one trailing character per escape pair before comparing."""
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def describe(pdu_hex):
    try:
        sms = gammu.DecodePDU(bytes.fromhex(pdu_hex))
    except Exception as e:  # gammu raises its own error types; all mean "refused"
        return {"error": str(e)}
    udh = sms["UDH"]
    return {
        "type": sms["Type"],
        "number": sms["Number"],
        "text": clean(sms["Text"]),
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
