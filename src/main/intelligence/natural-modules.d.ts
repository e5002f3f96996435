// natural's root entry loads every storage backend (and dotenv, which prints to stdout); these subpaths load only
// what clustering needs. Their own typings are only on the root entry, so the two used here are declared.
declare module 'natural/lib/natural/stemmers/porter_stemmer.js' {
  const PorterStemmer: { stem(token: string): string };
  export default PorterStemmer;
}
declare module 'natural/lib/natural/util/stopwords.js' {
  export const words: string[];
}
declare module 'munkres-js' {
  /** Hungarian algorithm: minimum-cost assignment; returns [row, column] pairs. */
  function computeMunkres(costMatrix: number[][]): Array<[number, number]>;
  export default computeMunkres;
}
