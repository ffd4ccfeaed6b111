using CsCheck;
using Kiln.Fuzz.Tests.Infrastructure;

namespace Kiln.Fuzz.Tests.Parsers;

/// <summary>Inputs for MLflow's search filter and order_by grammar: valid clauses recombined, mutated, huge; and noise.</summary>
public static class MlflowFilterGrammar
{
    public static readonly Gen<string> Identifier = Gen.OneOf(
        Gen.OneOf("metrics.acc", "metric.loss", "params.lr", "param.`a b`", "tags.\"my.tag\"", "tags.mlflow.runName", "tag.`x``y`",
            "attributes.status", "attribute.run_id", "attr.start_time", "run.end_time", "run_name", "status", "created", "Created",
            "dataset.name", "datasets.digest", "dataset.context", "name", "creation_time", "last_update_time", "version_number",
            "source_path", "\"name\"", "`run_id`", "metrics.", "unknown.key", "metrics.`unterminated", "tags.\"\"", "params.$x"),
        Gen.Select(Gen.OneOf("metrics.", "params.", "tags.", "attributes.", "dataset.", ""), Gen.String[Gen.Char['a', 'z'], 1, 8], (prefix, key) => prefix + key));

    public static readonly Gen<string> Comparator = Gen.OneOf(
        "=", "==", "!=", "<>", "<", "<=", ">", ">=", "!", "=<", "LIKE", "like", "ILIKE", "IN", "NOT IN", "not in", "IS NULL", "IS NOT NULL", "IS", "NOT");

    public static readonly Gen<string> Value = Gen.OneOf(
        Gen.OneOf("'x'", "\"x\"", "'%a_'", "''", "'it''s'", "'a\\'b'", "0", "-1", "+2.5", "1e10", "1e400", "-1e-400", ".5", "1.2.3", "--1", "1e", "NaN",
            "('a')", "('a', 'b')", "()", "('a',)", "(1, 2)", "('a' 'b')", "(", ")", "'unterminated", "NULL", "x"),
        Gen.Select(Gen.String[Gen.Char[" %_abc'\"\\"], 0, 12], text => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'"),
        Gen.Double.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

    public static readonly Gen<string> Clause = Gen.Select(Identifier, Comparator, Value, Gen.Int[0, 3], (id, op, value, shape) => shape switch
    {
        0 => $"{id} {op}",
        _ => $"{id} {op} {value}",
    });

    public static readonly Gen<string> Filter = Gen.Select(Clause.Array[1, 6], Gen.OneOf(" AND ", " and ", " OR ", " AND AND ", " "), (clauses, joiner) => string.Join(joiner, clauses));

    public static readonly Gen<string> Token = Gen.OneOf(Identifier, Comparator, Value, Gen.OneOf("AND", "OR", "(", ")", ",", "ASC", "DESC", "NOT"));

    /// <summary>Valid, recombined, mutated and noise, of ordinary length.</summary>
    public static readonly Gen<string> Bounded = Gen.Frequency(
        (4, Filter),
        (3, Mutations.MutateMany(Filter)),
        (3, Mutations.Soup(Token)),
        (2, Mutations.Noise));

    /// <summary>The whole mix: valid, recombined, mutated, huge and noise.</summary>
    public static readonly Gen<string> Any = Gen.Frequency(
        (4, Filter),
        (3, Mutations.MutateMany(Filter)),
        (3, Mutations.Soup(Token)),
        (2, Mutations.Noise),
        (1, Gen.Select(Clause, Gen.Int[1_000, 20_000], (clause, n) => Mutations.Repeat(clause, n, " AND "))),
        (1, Mutations.Huge(("(", ")"), ("'", ""), ("`", "`"), ("metrics.", "x = 1"), ("('a', ", ")"), ("\"", ""))));

    public static readonly Gen<string> OrderBy = Gen.Frequency(
        (4, Gen.Select(Identifier, Gen.OneOf("", " ASC", " DESC", " asc", " DESC DESC", " UP"), (id, direction) => id + direction)),
        (2, Mutations.MutateMany(Identifier)),
        (2, Mutations.Noise),
        (1, Mutations.Huge(("`", "`"), ("metrics.", "x"), ("\"", ""))));
}
