"""Realistic scanned-document generator with ground truth, for docintake's tests and demos.

    from tests.corpus import generate_document, generate_packet, write_corpus, DOC_TYPES, QUALITIES, PACKET_DEFECTS
"""
from .corpus import write_corpus, write_stack
from .degrade import QUALITIES
from .documents import DOC_TYPES, GeneratedDocument, generate_document
from .packets import (PACKET_DEFECTS, SERIES_DEFECTS, GeneratedPacket, generate_packet, generate_packet_series,
                      voucher_amount)

__all__ = ["DOC_TYPES", "QUALITIES", "PACKET_DEFECTS", "SERIES_DEFECTS", "GeneratedDocument", "GeneratedPacket",
           "generate_document", "generate_packet", "generate_packet_series", "write_corpus", "write_stack",
           "voucher_amount"]
