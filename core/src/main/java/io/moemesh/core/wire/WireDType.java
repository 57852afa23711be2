package io.moemesh.core.wire;

/** How activations travel between roles: f32 (exact) or bf16 (half the bytes, ~3 significant digits). */
public enum WireDType {
    F32(4), BF16(2);

    private final int bytes;

    WireDType(int bytes) {
        this.bytes = bytes;
    }

    public int bytesPerElement() {
        return bytes;
    }
}
