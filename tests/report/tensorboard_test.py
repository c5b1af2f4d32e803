#!/usr/bin/python3
"""Decodes the event file gear_report's EventWriter writes, independently of it.

Usage: tensorboard_test.py WRITE_EVENTS_PROGRAM WORK_FOLDER

The framing is checked with this file's own CRC-32C, and the Event messages are parsed by
google.protobuf (Debian's python3-protobuf) from descriptors built here, the way TensorFlow's
event.proto and summary.proto declare them, without protoc or TensorFlow.
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import unittest

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

# Keep in step with write_events.cpp: (tag, step, value, wall_time).
EXPECTED = [
    ("train/loss", 0, 2.5, 1700000000.25),
    ("train/loss", 1, 0.1, 1700000001.5),
    ("val/accuracy", 1, 0.8765432, 1700000002.0),
    ("energy/joules", 2**40, 123456.789, 1700000003.0),
    ("stage/widths/conv1", -3, -1.0e-3, 1700000004.0),
]


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def event_classes():
    """Event, Summary and Summary.Value as in tensorflow/core/util/event.proto (the fields a
    scalar uses; file_version and summary sit in the oneof `what`, as there)."""
    F = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="gear_report_test/event.proto",
                                               package="gear_report_test", syntax="proto3")
    summary = proto.message_type.add(name="Summary")
    value = summary.nested_type.add(name="Value")
    value.field.add(name="tag", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    value.field.add(name="simple_value", number=2, type=F.TYPE_FLOAT, label=F.LABEL_OPTIONAL)
    summary.field.add(name="value", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
                      type_name=".gear_report_test.Summary.Value")
    event = proto.message_type.add(name="Event")
    event.oneof_decl.add(name="what")
    event.field.add(name="wall_time", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    event.field.add(name="step", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    event.field.add(name="file_version", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL,
                    oneof_index=0)
    event.field.add(name="summary", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL,
                    type_name=".gear_report_test.Summary", oneof_index=0)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)

    def message_class(name):
        descriptor = pool.FindMessageTypeByName(name)
        if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
            return message_factory.GetMessageClass(descriptor)
        return message_factory.MessageFactory(pool).GetPrototype(descriptor)

    return message_class("gear_report_test.Event"), message_class("gear_report_test.Summary")


def read_records(data):
    """The TFRecord payloads of `data`, each frame's two CRCs checked."""
    records, at = [], 0
    while at < len(data):
        if len(data) - at < 12:
            raise AssertionError(f"truncated frame header at byte {at}")
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if length_crc != masked_crc(header):
            raise AssertionError(f"length CRC at byte {at}: {length_crc:#x} != "
                                 f"{masked_crc(header):#x}")
        payload = data[at + 12:at + 12 + length]
        if len(payload) != length or len(data) < at + 16 + length:
            raise AssertionError(f"truncated record at byte {at}")
        (data_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if data_crc != masked_crc(payload):
            raise AssertionError(f"data CRC at byte {at}")
        records.append(payload)
        at += 16 + length
    return records


def float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


class EventFileTest(unittest.TestCase):
    program = None
    folder = None

    @classmethod
    def setUpClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)
        result = subprocess.run([cls.program, cls.folder], capture_output=True, text=True,
                                check=False, timeout=30)
        if result.returncode != 0:
            raise AssertionError(f"{cls.program} failed: {result.stderr}")
        cls.path = result.stdout.strip()
        with open(cls.path, "rb") as f:
            cls.data = f.read()
        cls.Event, cls.Summary = event_classes()

    def test_crc32c_check_value(self):
        self.assertEqual(crc32c(b"123456789"), 0xE3069283)

    def test_file_name(self):
        self.assertEqual(os.listdir(self.folder), [os.path.basename(self.path)])
        self.assertRegex(os.path.basename(self.path), r"^events\.out\.tfevents\.\d{10}\.[^/]+$")
        host = os.uname().nodename
        self.assertTrue(self.path.endswith("." + host), f"{self.path} does not end in .{host}")

    def test_first_record_is_the_file_version(self):
        first = self.Event.FromString(read_records(self.data)[0])
        self.assertEqual(first.WhichOneof("what"), "file_version")
        self.assertEqual(first.file_version, "brain.Event:2")
        self.assertEqual(first.step, 0)
        self.assertGreater(first.wall_time, 1.6e9)

    def test_scalars(self):
        records = read_records(self.data)
        self.assertEqual(len(records), 1 + len(EXPECTED))
        for payload, (tag, step, value, wall) in zip(records[1:], EXPECTED):
            event = self.Event.FromString(payload)
            self.assertEqual(event.WhichOneof("what"), "summary")
            self.assertEqual(event.step, step)
            self.assertEqual(event.wall_time, wall)
            self.assertEqual(len(event.summary.value), 1)
            self.assertEqual(event.summary.value[0].tag, tag)
            # simple_value is a float: the double is rounded to float32, and exactly so.
            self.assertEqual(event.summary.value[0].simple_value, float32(value))
            # Nothing else in the record: the canonical encoding of the expected message is
            # byte for byte the record (so no stray or misnumbered fields).
            expected = self.Event(wall_time=wall, step=step)
            expected.summary.value.add(tag=tag, simple_value=value)
            self.assertEqual(expected.SerializeToString(), payload, f"record of {tag}@{step}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    EventFileTest.program, EventFileTest.folder = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])


if __name__ == "__main__":
    main()
