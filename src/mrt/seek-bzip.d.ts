// Type declaration for the untyped `seek-bzip` package (only the part this project uses).
declare module 'seek-bzip' {
  const Bunzip: {
    decode(input: Uint8Array, output?: Uint8Array): Buffer;
  };
  export default Bunzip;
}
