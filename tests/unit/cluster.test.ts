import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, clusteringAccuracy, normalizedMutualInformation } from '../../src/main/intelligence/cluster-metrics.js';
import { clusterTexts, kneePoint, tokenize } from '../../src/main/intelligence/cluster.js';

describe('clustering scores', () => {
  it('match hand-computed values', () => {
    const truth = ['a', 'a', 'a', 'b', 'b', 'b'];
    expect(normalizedMutualInformation(truth, [1, 1, 1, 0, 0, 0])).toBeCloseTo(1, 10);
    expect(adjustedRandIndex(truth, [1, 1, 1, 0, 0, 0])).toBeCloseTo(1, 10);
    expect(clusteringAccuracy(truth, [1, 1, 1, 0, 0, 0])).toBe(1);
    // One item moved: 5 of 6 matched; contingency [[2,1],[0,3]]: ARI 0.3243, NMI (arithmetic) 0.4787, as scikit-learn.
    expect(clusteringAccuracy(truth, [0, 0, 1, 1, 1, 1])).toBeCloseTo(5 / 6, 10);
    expect(adjustedRandIndex(truth, [0, 0, 1, 1, 1, 1])).toBeCloseTo(0.3243, 3);
    expect(normalizedMutualInformation(truth, [0, 0, 1, 1, 1, 1])).toBeCloseTo(0.4787, 3);
    // Everything in one cluster carries no information.
    expect(normalizedMutualInformation(truth, [0, 0, 0, 0, 0, 0])).toBe(0);
  });
});

describe('intent clustering', () => {
  const groups = {
    refund: ['i want a refund for my order', 'how do i get my money back', 'refund my purchase please', 'can i get a refund', 'money back for this order', 'request a refund now'],
    weather: ['what is the weather today', 'will it rain tomorrow', 'weather forecast for paris', 'is it going to rain today', 'forecast for the weekend weather', 'how hot will it be today weather'],
    video: ['make a birthday video for my mom', 'create a birthday video for dad', 'birthday video with music for my sister', 'a birthday video for my friend', 'make my mom a birthday video', 'birthday slideshow video for grandma'],
  };
  const texts = Object.values(groups).flat();
  const truth = Object.entries(groups).flatMap(([k, xs]) => xs.map(() => k));

  it('separates clear intents with the count given and chosen automatically, deterministically', () => {
    const given = clusterTexts(texts, { k: 3 });
    expect(clusteringAccuracy(truth, given.labels)).toBeGreaterThanOrEqual(0.9);
    const auto = clusterTexts(texts);
    expect(auto.chosenBy).toBe('silhouette-max');
    expect(auto.k).toBeGreaterThanOrEqual(2);
    expect(auto.k).toBeLessThanOrEqual(6);
    expect(clusteringAccuracy(truth, auto.labels)).toBeGreaterThanOrEqual(0.6);
    expect(Array.from(clusterTexts(texts).labels)).toEqual(Array.from(auto.labels));
  });

  it('names clusters with readable words, not stems', () => {
    const result = clusterTexts(texts, { k: 3 });
    const videoCluster = result.labels[texts.indexOf('make a birthday video for my mom')];
    expect(result.topTerms[videoCluster]).toContain('birthday');
  });

  it('tokenizes to stems without stop words', () => {
    expect(tokenize("What's the weather like in 2 days?")).toEqual(['weather', 'dai']);
  });

  it('finds the knee of a saturating curve', () => {
    expect(kneePoint([1, 2, 3, 4, 5, 6], [0.1, 0.5, 0.8, 0.85, 0.88, 0.9])).toBe(2);
  });
});
