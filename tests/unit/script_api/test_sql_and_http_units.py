"""Pure helpers of frappe.db.sql (placeholders) and outbound HTTP (address policy)."""

from __future__ import annotations

import ipaddress

import pytest

from webapp.errors import ValidationError
from webapp.services.outbound import forbidden_reason
from webapp.services.readonly_sql import _to_qmark


def test_placeholders_become_bound_parameters():
    assert _to_qmark("a = %s AND b = %s", ("x", 2)) == ("a = ? AND b = ?", ["x", 2])
    assert _to_qmark("a = %(v)s OR c = %(v)s AND d LIKE 'x%%'", {"v": "'; DROP"}) == \
        ("a = ? OR c = ? AND d LIKE 'x%'", ["'; DROP", "'; DROP"])


@pytest.mark.parametrize("query,values", [("a = %s", ()), ("a = %s", (1, 2)), ("a = %(x)s", {}),
                                          ("a = %(x)s", (1,)), ("a = %s", {"x": 1}), ("a LIKE 'x%'", (1,)),
                                          ("a = %d", (1,))])
def test_placeholder_mismatch_is_a_clear_error(query, values):
    with pytest.raises(ValidationError, match="frappe.db.sql"):
        _to_qmark(query, values)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.31.0.1", "192.168.0.1", "100.64.0.1",
                                     "169.254.169.254", "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "::", "fc00::1",
                                     "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1",
                                     "2002:a9fe:a9fe::1", "ff02::1", "192.0.2.1", "198.18.0.1"])
def test_non_public_addresses_are_forbidden(address):
    assert forbidden_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert forbidden_reason(ipaddress.ip_address(address)) is None
