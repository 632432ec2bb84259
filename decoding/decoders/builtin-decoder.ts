/**
 * The built-in decoders as Decoders: a calibrated model (decoding/models.ts) plus the state and
 * scratch arrays of one instance. Decoding allocates only the returned output vector.
 */
import type { IntentKind } from '../../core/index.js';
import type { Decoder } from '../decoder.js';
import { checkModel, cspFeatures, kalmanStep, ldaForward, ridgeStep, type DecoderModel } from '../models.js';

export class BuiltinDecoder implements Decoder {
  readonly name: string;
  readonly kind: IntentKind;
  readonly inputShape: readonly number[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly provider = 'js';
  private readonly state: Float64Array;
  private readonly scratchA: Float64Array;
  private readonly scratchB: Float64Array;
  private readonly result: Float64Array;

  constructor(readonly model: DecoderModel) {
    checkModel(model);
    this.name = model.type;
    switch (model.type) {
      case 'ridge': {
        const F = model.inputNames.length;
        this.kind = 'continuous';
        this.inputShape = [F];
        this.inputNames = model.inputNames;
        this.outputNames = model.outputNames;
        this.state = new Float64Array((model.lags + 1) * F);
        this.scratchA = new Float64Array(0);
        this.scratchB = new Float64Array(0);
        this.result = new Float64Array(model.outputNames.length);
        break;
      }
      case 'kalman':
        this.kind = 'continuous';
        this.inputShape = [model.inputNames.length];
        this.inputNames = model.inputNames;
        this.outputNames = model.outputNames;
        this.state = Float64Array.from(model.x0);
        this.scratchA = new Float64Array(model.inputNames.length);
        this.scratchB = new Float64Array(model.stateNames.length);
        this.result = new Float64Array(model.outputNames.length);
        break;
      case 'lda':
        this.kind = 'discrete';
        this.inputShape = [model.inputNames.length];
        this.inputNames = model.inputNames;
        this.outputNames = model.classes;
        this.state = new Float64Array(0);
        this.scratchA = new Float64Array(model.inputNames.length);
        this.scratchB = new Float64Array(0);
        this.result = new Float64Array(model.classes.length);
        break;
      case 'csp-lda':
        this.kind = 'discrete';
        this.inputShape = [model.channelNames.length, model.samples];
        this.inputNames = model.channelNames;
        this.outputNames = model.classes;
        this.state = new Float64Array(0);
        this.scratchA = new Float64Array(model.components);
        this.scratchB = new Float64Array(model.components);
        this.result = new Float64Array(model.classes.length);
        break;
    }
  }

  decode(input: Float32Array): Float32Array {
    const model = this.model;
    switch (model.type) {
      case 'ridge':
        ridgeStep(model, input, this.state, this.result);
        break;
      case 'kalman':
        kalmanStep(model, input, this.state, this.scratchA, this.scratchB);
        this.result.set(this.state.subarray(0, this.result.length));
        break;
      case 'lda':
        ldaForward(model, input, this.scratchA, this.result);
        break;
      case 'csp-lda':
        cspFeatures(model, input, this.scratchA);
        ldaForward(model.lda, this.scratchA, this.scratchB, this.result);
        break;
    }
    return Float32Array.from(this.result);
  }

  reset(): void {
    if (this.model.type === 'kalman') this.state.set(this.model.x0);
    else this.state.fill(0);
  }

  async dispose(): Promise<void> {}
}
