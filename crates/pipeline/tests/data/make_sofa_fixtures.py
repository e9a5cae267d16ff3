#!/usr/bin/env python3
"""Writes the small SOFA files that the HRTF loader's tests read.

Each file is a cut-down copy of Debian's MIT KEMAR set (libmysofa1:
/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa): eight horizontal
directions, 45 degrees apart, 256 samples long, then changed in one way the
tests name. Run it from anywhere with netCDF4 and numpy installed
(`pip install netCDF4 numpy`); the tests themselves never need Python.

    python3 crates/pipeline/tests/data/make_sofa_fixtures.py
"""

import os
import sys

import netCDF4
import numpy as np

KEMAR = "/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa"
OUT = os.path.dirname(os.path.abspath(__file__))
N = 256
AZIMUTHS = np.arange(0, 360, 45)
UNWRITTEN = "unwritten"  # a variable declared with its shape and no data stored


def kemar():
    """Directions, impulse responses (M, 2, N) and rate of the cut-down set."""
    with netCDF4.Dataset(KEMAR) as d:
        pos = d["SourcePosition"][:]
        ir = d["Data.IR"][:]
        rate = float(d["Data.SamplingRate"][0])
    rows = [int(np.argmin(np.abs(pos[:, 0] - az) + np.abs(pos[:, 1]) * 10)) for az in AZIMUTHS]
    return pos[rows].astype(float), np.asarray(ir[rows, :, :N], dtype=float), rate


def variable(d, name, dims, values, dtype="f8", **attrs):
    # sofar, like libmysofa, reads chunked data with the shuffle and deflate
    # filters that the SOFA APIs write, so every variable is stored that way.
    # One chunk per variable where it is small; sofar refuses chunks of more
    # than 0x130000 values, so long ones are split along their first axis.
    shape = [len(d.dimensions[x]) for x in dims]
    rest = int(np.prod(shape[1:]))
    shape[0] = max(1, min(shape[0], (1 << 19) // rest))
    v = d.createVariable(name, dtype, dims, zlib=True, complevel=1, shuffle=True, chunksizes=shape)
    for key, value in attrs.items():
        v.setncattr(key, value)
    if not isinstance(values, str):
        v[:] = values
    return v


def write(name, *, conventions="SimpleFreeFieldHRIR", data_type="FIR", m=None, r=2, n=N,
          source=None, source_attrs=None, receivers=None, receiver_attrs=None,
          view=None, up=None, ir=None, delay=None, rate=None, data="IR"):
    pos, base_ir, base_rate = kemar()
    ir = base_ir if ir is None else ir
    m = len(pos) if m is None else m
    path = os.path.join(OUT, name)
    with netCDF4.Dataset(path, "w", format="NETCDF4") as d:
        for key, value in {
            "Conventions": "SOFA", "Version": "1.0", "SOFAConventions": conventions,
            "SOFAConventionsVersion": "1.0", "DataType": data_type, "RoomType": "free field",
            "Title": f"Allverse test fixture {name}", "DatabaseName": "MIT KEMAR (cut down)",
        }.items():
            d.setncattr(key, value)
        for dim, size in {"I": 1, "C": 3, "R": r, "E": 1, "N": n, "M": m}.items():
            d.createDimension(dim, size)
        variable(d, "ListenerPosition", ("I", "C"), [[0, 0, 0]], Type="cartesian", Units="metre")
        variable(d, "ReceiverPosition", ("R", "C", "I"),
                 np.array([[0, 0.09, 0], [0, -0.09, 0]] if receivers is None else receivers)[:, :, None],
                 **(receiver_attrs or {"Type": "cartesian", "Units": "metre"}))
        variable(d, "SourcePosition", ("M", "C"), pos if source is None else source,
                 **(source_attrs or {"Type": "spherical", "Units": "degree, degree, metre"}))
        variable(d, "EmitterPosition", ("E", "C", "I"), [[[0], [0], [0]]], Type="cartesian", Units="metre")
        variable(d, "ListenerUp", ("I", "C"), [[0, 0, 1]] if up is None else up)
        variable(d, "ListenerView", ("I", "C"), [[1, 0, 0]] if view is None else view,
                 Type="cartesian", Units="metre")
        if data == "IR":
            variable(d, "Data.IR", ("M", "R", "N"), ir)
        elif data == "SOS":
            variable(d, "Data.SOS", ("M", "R", "N"), np.tile([1, 0, 0, 1, 0, 0], (m, r, n // 6)))
        elif data == "TF":
            variable(d, "Data.Real", ("M", "R", "N"), np.ones((m, r, n)))
            variable(d, "Data.Imag", ("M", "R", "N"), np.zeros((m, r, n)))
        variable(d, "Data.SamplingRate", ("I",), [base_rate if rate is None else rate], Units="hertz")
        variable(d, "Data.Delay", ("I", "R"), [[0] * r] if delay is None else delay)
    print(f"{name}: {os.path.getsize(path)} bytes")


def main():
    pos, ir, rate = kemar()
    swapped = ir[:, ::-1, :]
    write("kemar_small.sofa")
    # The same measurements with the right ear stored first, as ReceiverPosition says.
    write("right_ear_first.sofa", receivers=[[0, -0.09, 0], [0, 0.09, 0]], ir=swapped)
    write("right_ear_first_spherical.sofa", receivers=[[-90, 0, 0.09], [90, 0, 0.09]], ir=swapped,
          receiver_attrs={"Type": "spherical", "Units": "degree, degree, metre"})
    write("both_ears_left.sofa", receivers=[[0, 0.09, 0], [0, 0.08, 0]])
    az, el, dist = np.radians(pos[:, 0]), np.radians(pos[:, 1]), pos[:, 2]
    cartesian = np.stack([dist * np.cos(el) * np.cos(az), dist * np.cos(el) * np.sin(az), dist * np.sin(el)], 1)
    write("sources_cartesian.sofa", source=cartesian, source_attrs={"Type": "cartesian", "Units": "metre"})
    write("sources_radian.sofa", source=np.stack([az, el, dist], 1),
          source_attrs={"Type": "spherical", "Units": "radian, radian, metre"})
    write("sources_unknown_type.sofa", source_attrs={"Type": "polar", "Units": "degree, degree, metre"})
    # The listener faces +y (global left): every source is stored 90 degrees further round.
    turned = pos.copy()
    turned[:, 0] = (turned[:, 0] + 90) % 360
    write("listener_facing_y.sofa", source=turned, view=[[0, 1, 0]])
    write("convention_sos.sofa", conventions="SimpleFreeFieldSOS", data_type="SOS", n=6, data="SOS")
    write("convention_tf.sofa", conventions="SimpleFreeFieldHRTF", data_type="TF", data="TF")
    write("one_receiver.sofa", r=1, receivers=[[0, 0.09, 0]], ir=ir[:, :1, :])
    write("no_data_ir.sofa", data=None)
    write("huge_delay.sofa", delay=[[1e9, 1e9]])
    write("negative_delay.sofa", delay=[[-5, 0]])
    write("rate_100_hz.sofa", rate=100.0)
    nan = ir.copy()
    nan[3, 0, 10] = np.nan
    write("nan_in_ir.sofa", ir=nan)
    silent = ir.copy()
    silent[:, 1, :] = 0
    write("silent_right_ear.sofa", ir=silent)
    # A million measurements declared, none stored: 38 kB on disk, 4 GB if believed.
    write("million_measurements.sofa", m=1_000_000, source=UNWRITTEN, ir=UNWRITTEN)
    # A three-second room response: the KEMAR response, then one late reflection.
    long_n = int(3 * rate)
    room = np.zeros((len(pos), 2, long_n))
    room[:, :, :N] = ir
    room[:, :, int(2 * rate)] = 0.1
    write("room_response_3s.sofa", n=long_n, ir=room)


if __name__ == "__main__":
    sys.exit(main())
