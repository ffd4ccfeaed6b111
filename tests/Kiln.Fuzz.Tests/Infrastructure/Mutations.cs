using CsCheck;

namespace Kiln.Fuzz.Tests.Infrastructure;

/// <summary>Generators shared by the grammars: token soups, mutations of valid inputs, huge and deeply nested inputs, raw noise.</summary>
public static class Mutations
{
    /// <summary>Characters that matter to the parsers (quotes, brackets, separators, escapes, line ends) and some that should not.</summary>
    public static readonly Gen<char> InterestingChar = Gen.Frequency(
        (6, Gen.Char["'\"`()[]{},.;:=!<>-+eE0123456789 \\\r\n\t\0"]),
        (3, Gen.Char['a', 'z']),
        (1, Gen.Char));

    public static readonly Gen<string> Noise = Gen.Frequency(
        (3, Gen.String[InterestingChar, 0, 40]),
        (1, Gen.String[Gen.Char, 0, 40]),
        (1, Gen.Byte.Array[0, 40].Select(bytes => System.Text.Encoding.Latin1.GetString(bytes))));

    /// <summary>Tokens joined by spaces (or not), sampled from <paramref name="vocabulary"/>.</summary>
    public static Gen<string> Soup(Gen<string> vocabulary, int maxTokens = 12) =>
        Gen.Select(vocabulary.Array[1, maxTokens], Gen.Bool, (tokens, spaced) => string.Join(spaced ? " " : "", tokens));

    /// <summary>A valid input changed a little: a character inserted, deleted or replaced, or the input truncated or doubled.</summary>
    public static Gen<string> Mutate(Gen<string> valid) =>
        Gen.Select(valid, Gen.Int[0, 5], Gen.Int[0, int.MaxValue], InterestingChar, (text, kind, where, c) =>
        {
            if (text.Length == 0)
            {
                return c.ToString();
            }

            var at = where % text.Length;
            return kind switch
            {
                0 => text.Insert(at, c.ToString()),
                1 => text.Remove(at, 1),
                2 => text[..at] + c + text[(at + 1)..],
                3 => text[..at],
                4 => text + text[at..],
                _ => text[at..] + text[..at],
            };
        });

    /// <summary>Several mutations in a row.</summary>
    public static Gen<string> MutateMany(Gen<string> valid) =>
        Mutate(Mutate(Mutate(valid)));

    /// <summary><paramref name="text"/> repeated <paramref name="count"/> times with <paramref name="separator"/>.</summary>
    public static string Repeat(string text, int count, string separator = "") => string.Join(separator, Enumerable.Repeat(text, count));

    /// <summary>Very long or very deep inputs: what an attacker sends to find quadratic time or unbounded recursion.</summary>
    public static Gen<string> Huge(params (string Open, string Close)[] shapes) =>
        Gen.Select(Gen.OneOf(shapes), Gen.Int[1_000, 30_000], (shape, depth) => Repeat(shape.Open, depth) + Repeat(shape.Close, depth));
}
