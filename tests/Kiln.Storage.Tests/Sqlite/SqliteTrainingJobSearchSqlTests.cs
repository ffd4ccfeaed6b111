using Kiln.Core.Search;
using Kiln.Storage.Sqlite;
using Kiln.Storage.Sqlite.Training;

namespace Kiln.Storage.Tests.Sqlite;

/// <summary>Which part of a training job search the SQLite store evaluates in SQL, and which it leaves to the domain's in-memory evaluator.</summary>
public sealed class SqliteTrainingJobSearchSqlTests
{
    private readonly PropertySearchSql _search = new(new SqlBuilder(), SqliteTrainingJobStore.SearchShape);

    [Fact]
    public void What_sagemaker_search_asks_of_training_jobs_is_all_evaluated_in_sql()
    {
        var either = SearchExpression.AnyOf(SearchExpression.AllOf(new PropertyFilter("Spec.Name", Comparator.Equal, "a")), SearchExpression.AllOf(new PropertyFilter("Spec.Name", Comparator.Equal, "b")));
        var expression = new SearchExpression(
            [
                new PropertyFilter("Spec.HyperParameters.num_round", Comparator.Equal, "7"),
                new PropertyFilter("Spec.HyperParameters.lr.decay", Comparator.Less, "1"),
                new PropertyFilter("Spec.Name", Comparator.Contains, "search"),
                new PropertyFilter("FinalMetrics.validation:auc", Comparator.GreaterOrEqual, "0.9"),
                new PropertyFilter("Spec.Tags.stage", Comparator.Equal, "prod"),
                new PropertyFilter("Spec.Tags.owner", Comparator.IsNull),
                new PropertyFilter("Status", Comparator.In, "Completed,Failed"),
                new PropertyFilter("CreationTime", Comparator.Greater, "2026-01-01T00:00:00Z"),
                new PropertyFilter("Spec.ContainerArguments", Comparator.NotEqual, "--debug"),
            ],
            [new NestedFilter("Spec.Channels", [new PropertyFilter("Name", Comparator.Equal, "validation"), new PropertyFilter("Uri", Comparator.Contains, "validation")])],
            [either]);

        var (condition, residual) = _search.Translate("job", expression);

        Assert.NotNull(condition);
        Assert.Null(residual);
        Assert.NotNull(_search.FirstValue("job", "Spec.HyperParameters.num_round"));
        Assert.NotNull(_search.FirstValue("job", "FinalMetrics.validation:auc"));
    }

    [Fact]
    public void A_path_sql_cannot_follow_is_left_to_the_in_memory_evaluator()
    {
        var dotted = new PropertyFilter("Spec.Tags.cost.center", Comparator.Equal, "7");
        var plain = new PropertyFilter("Spec.Name", Comparator.Equal, "a");

        var (condition, residual) = _search.Translate("job", SearchExpression.AllOf(plain, dotted));
        Assert.NotNull(condition);
        Assert.Equal([dotted], residual!.Filters);

        var either = SearchExpression.AnyOf(SearchExpression.AllOf(plain), SearchExpression.AllOf(dotted));
        (condition, residual) = _search.Translate("job", either);
        Assert.Null(condition);
        Assert.Same(either, residual);
        Assert.Null(_search.FirstValue("job", "Spec.Tags.cost.center"));
    }
}
