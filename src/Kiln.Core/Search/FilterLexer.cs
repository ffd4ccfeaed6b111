using System.Globalization;
using System.Text;
using Kiln.Core.Common;

namespace Kiln.Core.Search;

internal enum TokenKind
{
    Identifier,
    SingleQuoted,
    DoubleQuoted,
    Number,
    Operator,
    Keyword,
    OpenParen,
    CloseParen,
    Comma,
}

/// <summary>A lexical token; <see cref="Text"/> is the source text, <see cref="Value"/> the unquoted content.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, string Value)
{
    public bool IsKeyword(string keyword) => Kind == TokenKind.Keyword && Value == keyword;
}

/// <summary>
/// Splits an MLflow search expression into tokens. Identifiers may be dotted and each part may be
/// quoted with backticks or double quotes (<c>metrics.`f1 score`</c>, <c>tags."my.tag"</c>).
/// </summary>
internal static class FilterLexer
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC",
    };

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '\'')
            {
                var (value, end) = ReadQuoted(text, i, '\'');
                tokens.Add(new Token(TokenKind.SingleQuoted, text[i..end], value));
                i = end;
            }
            else if (c == '"' || c == '`')
            {
                // A quoted name may continue as a dotted identifier: "tags".`a b` is unusual but legal.
                var start = i;
                var (value, end) = ReadQuoted(text, i, c);
                if (end < text.Length && text[end] == '.')
                {
                    end = ReadIdentifierTail(text, end);
                    tokens.Add(new Token(TokenKind.Identifier, text[start..end], text[start..end]));
                }
                else
                {
                    tokens.Add(new Token(c == '"' ? TokenKind.DoubleQuoted : TokenKind.Identifier, text[start..end], value));
                }

                i = end;
            }
            else if (char.IsDigit(c) || (c is '-' or '+' or '.' && i + 1 < text.Length && (char.IsDigit(text[i + 1]) || text[i + 1] == '.')))
            {
                var end = ReadNumber(text, i);
                tokens.Add(new Token(TokenKind.Number, text[i..end], text[i..end]));
                i = end;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var end = ReadIdentifierTail(text, i);
                var word = text[i..end];
                if (!word.Contains('.', StringComparison.Ordinal) && Keywords.Contains(word))
                {
                    tokens.Add(new Token(TokenKind.Keyword, word, word.ToUpperInvariant()));
                }
                else
                {
                    tokens.Add(new Token(TokenKind.Identifier, word, word));
                }

                i = end;
            }
            else if (c is '=' or '!' or '<' or '>')
            {
                var end = i + 1;
                if (end < text.Length && (text[end] == '=' || (c == '<' && text[end] == '>')))
                {
                    end++;
                }

                var op = text[i..end];
                if (op == "!")
                {
                    throw Invalid(text);
                }

                tokens.Add(new Token(TokenKind.Operator, op, op == "<>" ? "!=" : op));
                i = end;
            }
            else if (c == '(')
            {
                tokens.Add(new Token(TokenKind.OpenParen, "(", "("));
                i++;
            }
            else if (c == ')')
            {
                tokens.Add(new Token(TokenKind.CloseParen, ")", ")"));
                i++;
            }
            else if (c == ',')
            {
                tokens.Add(new Token(TokenKind.Comma, ",", ","));
                i++;
            }
            else
            {
                throw Invalid(text);
            }
        }

        return tokens;
    }

    private static KilnException Invalid(string text) =>
        KilnException.InvalidParameter($"Invalid filter '{text}'. Could not be parsed.");

    /// <summary>Reads a quoted run starting at <paramref name="start"/>; a doubled quote inside is an escaped quote.</summary>
    private static (string Value, int End) ReadQuoted(string text, int start, char quote)
    {
        var builder = new StringBuilder();
        var i = start + 1;
        while (i < text.Length)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == quote)
            {
                builder.Append(quote);
                i += 2;
            }
            else if (text[i] == quote)
            {
                if (i + 1 < text.Length && text[i + 1] == quote)
                {
                    builder.Append(quote);
                    i += 2;
                }
                else
                {
                    return (builder.ToString(), i + 1);
                }
            }
            else
            {
                builder.Append(text[i]);
                i++;
            }
        }

        throw Invalid(text);
    }

    /// <summary>Reads the rest of a dotted identifier: words, dots and quoted parts.</summary>
    private static int ReadIdentifierTail(string text, int i)
    {
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsLetterOrDigit(c) || c is '_' or '.' or '$')
            {
                i++;
            }
            else if ((c == '`' || c == '"') && i > 0 && text[i - 1] == '.')
            {
                i = ReadQuoted(text, i, c).End;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private static int ReadNumber(string text, int i)
    {
        var end = i;
        if (text[end] is '-' or '+')
        {
            end++;
        }

        while (end < text.Length && (char.IsDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }

        if (end < text.Length && text[end] is 'e' or 'E')
        {
            var exponent = end + 1;
            if (exponent < text.Length && text[exponent] is '-' or '+')
            {
                exponent++;
            }

            if (exponent < text.Length && char.IsDigit(text[exponent]))
            {
                end = exponent;
                while (end < text.Length && char.IsDigit(text[end]))
                {
                    end++;
                }
            }
        }

        if (!double.TryParse(text[i..end], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            throw Invalid(text);
        }

        return end;
    }
}
