"""The decoder specs the end-to-end tests and the benches upload, written once.

SPEC_V1: a declarative decoder (acme-th, one signed 16-bit temperature); script_spec(): the spec
of a script decoder, `<devicetype>.js` beside it, with its one test vector. Uploaded with
harness.multipart as the "spec" and "script" fields of POST /v1/devicetypes/<type>/versions."""

SPEC_V1 = """devicetype = "acme-th"
version = "1"
description = "ACME T/H, first layout"
[[variant]]
  [[variant.field]]
  name = "temperature"
  offset = 0
  type = "i16"
  scale = 0.1
  unit = "°C"
[[test]]
payload = "00e1"
expect = { temperature = 22.5 }
"""


def script_spec(devicetype, version, payload, expect, fport=1):
    """A script decoder's spec: the script is <devicetype>.js; one vector (payload hex, expect
    as the TOML inline table's inside, e.g. "value = 5, extra = 0")."""
    return (f'devicetype = "{devicetype}"\nversion = "{version}"\nkind = "script"\nscript = "{devicetype}.js"\n'
            f'[[test]]\nfport = {fport}\npayload = "{payload}"\nexpect = {{ {expect} }}\n')


def upload(devicetype, spec, script):
    """The multipart body (and its content type) uploading a script decoder and its spec."""
    from harness import multipart
    return multipart({"spec": (f"{devicetype}.toml", spec), "script": (f"{devicetype}.js", script)})
