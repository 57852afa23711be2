package io.moemesh.core.kernel;

import io.moemesh.core.tensor.Bf16Matrix;
import io.moemesh.core.tensor.F16Matrix;
import io.moemesh.core.tensor.F32Matrix;
import io.moemesh.core.tensor.Fp8BlockMatrix;
import io.moemesh.core.tensor.KernelTerms;
import io.moemesh.core.tensor.Matrix;
import io.moemesh.core.tensor.WeightFormat;
import io.moemesh.core.weights.Numerics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each format's SIMD kernel against its scalar twin, on sizes that are not multiples of the vector width. */
class MatMulTest {
    private static final Arena ARENA = Arena.ofAuto();

    static Matrix matrix(String format, int rows, int cols, SplittableRandom r) {
        long n = (long) rows * cols;
        return switch (format) {
            case "f32" -> {
                float[] v = new float[(int) n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) r.nextGaussian();
                }
                yield F32Matrix.of(v, rows, cols);
            }
            case "bf16", "f16" -> {
                MemorySegment s = ARENA.allocate(n * 2);
                for (long i = 0; i < n; i++) {
                    float f = (float) r.nextGaussian();
                    s.setAtIndex(Numerics.I16, i, format.equals("bf16") ? Numerics.floatToBf16(f) : Float.floatToFloat16(f));
                }
                yield format.equals("bf16") ? new Bf16Matrix(s, rows, cols) : new F16Matrix(s, rows, cols);
            }
            case "fp8" -> {
                MemorySegment s = ARENA.allocate(n);
                for (long i = 0; i < n; i++) {
                    int b;
                    do {
                        b = r.nextInt(256);
                    } while ((b & 0x7F) == 0x7F);   // skip NaN patterns
                    s.set(ValueLayout.JAVA_BYTE, i, (byte) b);
                }
                int br = 128, bc = 128;
                float[] scales = new float[((rows + br - 1) / br) * ((cols + bc - 1) / bc)];
                for (int i = 0; i < scales.length; i++) {
                    scales[i] = (float) (0.001 + r.nextDouble() * 0.01);
                }
                yield new Fp8BlockMatrix(s, rows, cols, scales, br, bc);
            }
            case "int8", "q4", "q4a8" -> WeightFormat.of(format).quantize(matrix("f32", rows, cols, r), ARENA);
            case "bf16p" -> WeightFormat.BF16.quantize(matrix("bf16", rows, cols, r), ARENA);   // bf16 in row panels
            case "fp8p" -> WeightFormat.AUTO.quantize(matrix("fp8", rows, cols, r), ARENA);   // fp8 in row panels
            default -> throw new IllegalArgumentException(format);
        };
    }

    @ParameterizedTest
    @CsvSource({"f32,37,131,3", "bf16,37,131,1", "bf16,301,1027,5", "bf16,5,7,2", "f16,33,77,4", "fp8,200,333,3",
            "fp8,129,257,1", "int8,37,45,3", "int8,129,1000,2", "q4,37,45,3", "q4,129,1000,2",
            // whole blocks and more rows than one run of scales converted together (16), the last run partial;
            // q4 with two whole groups of rows (its two-group kernel) and a partial third
            "int8,41,256,1", "q4,41,256,1", "q4,16,128,1", "q4,260,96,1", "bf16p,37,131,3", "bf16p,129,1000,1", "bf16p,5,7,2",
            // q4a8: one token, a few (each alone), four and more (a decoded block), partial blocks and groups
            "q4a8,37,45,3", "q4a8,129,1000,2", "q4a8,260,96,1", "q4a8,41,256,9", "q4a8,300,77,4", "q4a8,3,33,13",
            // fp8 panels: one token, a few (streamed), many (a decoded block); scale blocks across groups and blocks
            "fp8p,200,333,1", "fp8p,129,257,3", "fp8p,300,131,9", "fp8p,5,7,2", "fp8p,260,1000,32",
            // seven whole groups and a partial eighth, in one call: whole groups pair half the range apart, the middle alone
            "q4,1000,64,1", "int8,1000,64,1", "bf16p,1000,64,1"})
    void vectorKernelMatchesScalarTwin(String format, int rows, int cols, int tokens) {
        SplittableRandom r = new SplittableRandom(rows * 31L + cols);
        Matrix w = matrix(format, rows, cols, r);
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] fast = MatMul.vector().apply(w, x, tokens);
        float[] reference = MatMul.reference().apply(w, x, tokens);
        for (int i = 0; i < fast.length; i++) {
            // float32 sums in a different order: error grows with sqrt(cols) times the magnitude of the terms; q4's
            // kernels add terms far larger than its weights' products (see KernelTerms), so its bound is over those
            // q4a8's sums are integers, exact in any order: its kernels give its twin's floats bit for bit
            double tolerance = format.equals("q4a8") ? 0 : format.equals("q4")
                    ? 1e-5 * KernelTerms.of(w, i % rows, x, i / rows * cols)
                    : 1e-5 * Math.sqrt(cols) * (1 + Math.abs(reference[i]));
            assertTrue(Math.abs(fast[i] - reference[i]) <= tolerance,
                    format + " [" + i + "]: " + fast[i] + " vs reference " + reference[i]);
        }
        // and the dequantized rows agree with the scalar dot
        float[] row = new float[cols];
        w.row(rows - 1, row, 0);
        float viaRow = 0;
        double inputRounding = 0;   // q4a8 rounds each input to its block's step d = max|x| / 127: at most d/2 a weight
        for (int c = 0; c < cols; c++) {
            viaRow += row[c] * x[c];
            if (format.equals("q4a8")) {
                float blockMax = 0;
                for (int k = c / 32 * 32; k < Math.min(cols, c / 32 * 32 + 32); k++) {
                    blockMax = Math.max(blockMax, Math.abs(x[k]));
                }
                inputRounding += Math.abs(row[c]) * blockMax / 127 / 2;
            }
        }
        assertTrue(Math.abs(viaRow - reference[rows - 1]) <= 1e-4 * (1 + Math.abs(viaRow)) + 1.001 * inputRounding,
                format + ": dequantized row " + viaRow + " vs reference " + reference[rows - 1]);
    }

    /**
     * A token's numbers must not depend on the batch it shares a step with: the register-tiled path (four tokens
     * per weight read) gives bit for bit what one token alone gets.
     */
    @ParameterizedTest
    @CsvSource({"bf16,37,131,9", "bf16,64,256,4", "bf16,3,1027,6", "f32,17,45,5", "int8,37,45,7", "q4,33,200,8", "fp8,129,257,4",
            // from 8 tokens the block formats decode a row once for all tokens: rows of odd widths, token counts past 4s
            "int8,37,45,11", "int8,5,300,32", "q4,9,1000,13", "q4,3,2048,32", "q4,4,96,8",
            "q4,41,256,8", "int8,35,128,9", "bf16p,37,131,9", "bf16p,3,1027,6", "bf16p,130,64,13",
            // past two whole groups of 128 rows one token takes two groups at a time (bf16, int8), the rest alone
            "bf16p,300,131,5", "int8,290,77,6", "int8,513,40,4",
            // bf16's first four tokens convert the block as they go and store it for the rest: four alone, then more
            "bf16p,300,131,4", "bf16p,129,33,8", "bf16p,200,70,7",
            // two to five tokens stream the weights as one does: partial last blocks, an odd token
            "int8,300,77,2", "int8,290,45,3", "int8,200,64,5", "bf16p,300,131,2", "bf16p,129,33,3", "bf16p,256,96,4",
            "q4,300,77,2", "q4,290,45,3", "q4,129,1000,5", "q4,260,96,4",
            "q4a8,33,200,8", "q4a8,9,1000,13", "q4a8,3,2048,32", "q4a8,300,77,2", "q4a8,129,1000,5", "q4a8,260,96,4",
            "q4a8,41,256,7", "fp8p,300,131,2", "fp8p,129,257,5", "fp8p,260,96,13", "fp8p,3,2048,32",
            // formats without a kernel of their own widen a row once for the batch, four tokens a pass, then the rest
            "fp8,200,333,9", "fp8,3,2048,32", "f16,33,77,6", "f16,5,131,4"})
    void batchedRowsEqualOneTokenAtATimeExactly(String format, int rows, int cols, int tokens) {
        SplittableRandom r = new SplittableRandom(rows * 17L + cols);
        Matrix w = matrix(format, rows, cols, r);
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] batched = MatMul.vector().apply(w, x, tokens);
        for (int t = 0; t < tokens; t++) {
            float[] alone = MatMul.vector().apply(w, java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1);
            for (int row = 0; row < rows; row++) {
                assertEquals(Float.floatToIntBits(alone[row]), Float.floatToIntBits(batched[t * rows + row]),
                        format + " token " + t + " row " + row + ": " + alone[row] + " vs " + batched[t * rows + row]);
            }
        }
    }

    /**
     * Two rows over the same inputs (an FFN's gate and up rows; neighbouring rows) give exactly what each row gives
     * alone, the paired kernel included (block formats from 8 tokens), with outputs strided and offset.
     */
    @ParameterizedTest
    @CsvSource({"int8,45,9", "int8,2048,32", "q4,200,8", "q4,1000,13", "q4,2048,32", "bf16,131,9", "bf16,2048,32", "bf16,40,8", "q4a8,200,8", "fp8p,300,9"})
    void twoRowsAtOnceEqualEachRowAlone(String format, int cols, int tokens) {
        SplittableRandom r = new SplittableRandom(cols * 31L + tokens);
        Matrix gate = matrix(format, 5, cols, r), up = matrix(format, 5, cols, r);
        float[] x = new float[3 + tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int row = 0; row < 5; row++) {
            float[] pairG = new float[2 + tokens * 3], pairU = new float[1 + tokens * 3];
            gate.dotTokens2(row, up, 4 - row, x, 3, cols, tokens, pairG, 2, pairU, 1, 3);
            for (int t = 0; t < tokens; t++) {
                assertEquals(Float.floatToIntBits(gate.dot(row, x, 3 + t * cols)), Float.floatToIntBits(pairG[2 + 3 * t]),
                        format + " gate paired, row " + row + " token " + t);
                assertEquals(Float.floatToIntBits(up.dot(4 - row, x, 3 + t * cols)), Float.floatToIntBits(pairU[1 + 3 * t]),
                        format + " up paired, row " + (4 - row) + " token " + t);
            }
        }
    }

    /**
     * Rows computed in pieces whose ends fall anywhere (threads split matrices so; q4 computes rows in groups of
     * 8 float lanes' worth) give exactly the whole product, for one token and several, with the outputs strided.
     */
    @ParameterizedTest
    @CsvSource({"q4,300,200,1", "q4,300,200,5", "q4,129,45,2", "q4,1,64,3", "int8,300,200,5", "bf16,300,200,5",
            "bf16p,300,200,1", "bf16p,300,45,6", "int8,300,77,3", "bf16p,300,45,2", "q4,300,77,3",
            "q4a8,300,200,1", "q4a8,300,200,5", "q4a8,129,45,2", "q4a8,300,77,6", "fp8p,300,200,1", "fp8p,300,77,6",
            // pieces holding several whole groups, which pair with other partners than in the whole product's call
            "q4,1000,64,1", "int8,1000,64,1", "bf16p,1000,64,1"})
    void rowRangesCutAnywhereEqualTheWholeProduct(String format, int rows, int cols, int tokens) {
        SplittableRandom r = new SplittableRandom(rows * 7L + cols + tokens);
        Matrix w = matrix(format, rows, cols, r);
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] whole = MatMul.vector().apply(w, x, tokens);
        int[] cuts = {0, Math.min(rows, 1), Math.min(rows, 77), Math.min(rows, 128), Math.min(rows, 200), rows};
        int stride = rows + 3;
        float[] pieces = new float[2 + tokens * stride];
        for (int k = 0; k + 1 < cuts.length; k++) {
            MatMul.vector().rowRange(w, cuts[k], cuts[k + 1], x, 0, tokens, pieces, 2, stride);
        }
        for (int t = 0; t < tokens; t++) {
            for (int row = 0; row < rows; row++) {
                assertEquals(Float.floatToIntBits(whole[t * rows + row]), Float.floatToIntBits(pieces[2 + t * stride + row]),
                        format + " token " + t + " row " + row);
            }
        }
    }

    /** Q, K and V in one pass give what three separate products give, for both kernels. */
    @ParameterizedTest
    @CsvSource({"bf16,1", "bf16,6", "int8,3", "q4,1", "q4,5", "bf16p,4", "fp8p,1", "fp8p,7"})
    void severalMatricesInOnePassEqualSeparateProducts(String format, int tokens) {
        SplittableRandom r = new SplittableRandom(tokens);
        Matrix[] ws = {matrix(format, 70, 131, r), matrix(format, 1, 131, r), matrix(format, 33, 131, r)};
        float[] x = new float[tokens * 131];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (MatMul mm : new MatMul[]{MatMul.vector(), MatMul.reference()}) {
            float[][] all = new float[ws.length][];
            for (int m = 0; m < ws.length; m++) {
                all[m] = new float[tokens * ws[m].rows()];
            }
            mm.applyAll(ws, new StackedRows(ws), x, tokens, all);
            for (int m = 0; m < ws.length; m++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(mm.apply(ws[m], x, tokens), all[m], 0f, "matrix " + m);
            }
        }
    }
}
