"""The connection contract shared by the modules and the inventory plugin."""
import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import RequestError, ValidationError
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.client import CheckModeWriteRefused, GonkaApiError
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import (
    CONNECTION_SPEC, client_from_params, connection_spec,
)
from tests.support import gonka_sim


def test_spec_spellings_and_env_fallbacks():
    assert CONNECTION_SPEC["timeout"]["aliases"] == ["request_timeout"]
    assert CONNECTION_SPEC["ca_path"]["aliases"] == ["ca_cert"]
    assert CONNECTION_SPEC["admin_url"]["fallback"][1] == ["GONKA_ADMIN_API_URL"]
    spec = connection_spec()
    spec["admin_url"]["default"] = "changed"
    assert CONNECTION_SPEC["admin_url"]["default"] == "http://localhost:9200"


def test_client_from_params_defaults_and_scheme():
    client = client_from_params({"admin_url": "10.0.0.5:9200"})
    assert client.base_url == "http://10.0.0.5:9200" and client.timeout == 30 and client.retries == 3
    assert client.read_only is False
    assert client_from_params({}, check_mode=True).read_only is True


@pytest.mark.parametrize("params, field, text", [
    ({"admin_url": "http://127.0.0.1:99999"}, "admin_url", "port must be between 1 and 65535"),
    ({"admin_url": "ftp://10.0.0.5"}, "admin_url", "only http:// and https://"),
    ({"admin_url": "http://[::1"}, "admin_url", "not a valid URL"),
    ({"admin_url": "http://user:secret@[::1"}, "admin_url", "not a valid URL"),
    ({"timeout": -1}, "timeout", "between 1 and 3600"),
    ({"retries": 10 ** 20}, "retries", "between 0 and 10"),
])
def test_bad_connection_values_are_refused_naming_the_field(params, field, text):
    with pytest.raises(ValidationError) as err:
        client_from_params(params)
    assert err.value.errors[0][0] == field and text in str(err.value)


def test_password_in_admin_url_never_shown():
    with pytest.raises(ValidationError) as err:
        client_from_params({"admin_url": "http://user:s3cr3t-pw@10.0.0.5:99999"})
    assert "s3cr3t-pw" not in str(err.value)
    client = client_from_params({"admin_url": "http://user:s3cr3t-pw@127.0.0.1:9"}, check_mode=False)
    client.retries = 0
    with pytest.raises(GonkaApiError) as failed:
        client.list_nodes()
    assert "s3cr3t-pw" not in str(failed.value) and "127.0.0.1:9/admin/v1/nodes" in str(failed.value)


def test_check_mode_client_refuses_writes_by_construction():
    sim = gonka_sim.start("current")
    try:
        client = client_from_params({"admin_url": sim.url}, check_mode=True)
        assert client.list_nodes() == []
        for write in (lambda: client.register({"id": "a"}), lambda: client.delete("a"),
                      lambda: client.set_enabled("a", False), lambda: client.batch_register([{"id": "a"}])):
            with pytest.raises(CheckModeWriteRefused):
                write()
        assert [r["method"] for r in sim.requests] == ["GET"]
    finally:
        sim.stop()


def test_error_class_is_the_common_request_error():
    assert issubclass(GonkaApiError, RequestError)
