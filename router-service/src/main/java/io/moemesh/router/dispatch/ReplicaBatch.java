package io.moemesh.router.dispatch;

import com.google.protobuf.UnsafeByteOperations;
import io.moemesh.core.roles.ExpertBatch;
import io.moemesh.core.wire.ActivationCodec;
import io.moemesh.core.wire.WireDType;
import io.moemesh.proto.common.v1.DType;
import io.moemesh.proto.common.v1.Tensor;
import io.moemesh.proto.expert.v1.ComputeRequest;
import java.util.Arrays;

/**
 * The part of a layer batch one replica computes: only the token rows with at least one assignment there
 * (compacted, so no bytes travel for tokens the replica has nothing to do for), and only those assignments.
 *
 * @param rows     rows[i] = the batch token that compacted row i stands for
 * @param assigned [tokens, slots] true where the assignment goes to this replica
 */
record ReplicaBatch(ExpertReplica replica, int[] rows, boolean[] assigned) {

    ComputeRequest request(ExpertBatch batch, WireDType wire) {
        int hidden = batch.hidden(), slots = batch.slots();
        float[] x = new float[rows.length * hidden];
        ComputeRequest.Builder r = ComputeRequest.newBuilder().setLayer(batch.layer()).setSlots(slots);
        for (int i = 0; i < rows.length; i++) {
            int t = rows[i];
            System.arraycopy(batch.x(), t * hidden, x, i * hidden, hidden);
            for (int s = 0; s < slots; s++) {
                int a = t * slots + s;
                boolean here = assigned[a];
                r.addExpertIds(here ? batch.experts()[a] : -1);
                r.addWeights(here ? batch.weights()[a] : 0f);
            }
        }
        DType dtype = wire == WireDType.F32 ? DType.F32 : DType.BF16;
        return r.setHidden(Tensor.newBuilder().setDtype(dtype).addShape(rows.length).addShape(hidden)
                        .setData(UnsafeByteOperations.unsafeWrap(ActivationCodec.encode(x, wire))))
                .setReplyDtype(dtype)
                .build();
    }

    /** (token, expert) assignments this replica computes. */
    int assignments() {
        int n = 0;
        for (boolean a : assigned) {
            n += a ? 1 : 0;
        }
        return n;
    }

    /** Adds the replica's partial sums (compacted rows) into the batch output. */
    void addInto(float[] out, float[] partialSums, int hidden) {
        for (int i = 0; i < rows.length; i++) {
            int base = rows[i] * hidden;
            for (int h = 0; h < hidden; h++) {
                out[base + h] += partialSums[i * hidden + h];
            }
        }
    }

    @Override
    public String toString() {
        return replica + " " + rows.length + " rows " + Arrays.toString(rows);
    }
}
