using Microsoft.Extensions.Options;

namespace Kiln.Jobs.Tests;

public sealed class JobSlotsTests
{
    private static JobSlots Slots(int capacity) => new(Options.Create(new JobEngineOptions { JobSlots = capacity }));

    [Fact]
    public async Task Waiters_get_slots_in_arrival_order()
    {
        using var slots = Slots(1);
        var first = await slots.AcquireAsync(CancellationToken.None);
        var order = new List<int>();
        var waiters = Enumerable.Range(1, 4).Select(i => slots.AcquireAsync(CancellationToken.None).ContinueWith(
            task =>
            {
                lock (order)
                {
                    order.Add(i);
                }

                return task.Result;
            },
            TaskScheduler.Default)).ToList();
        Assert.Equal(4, slots.Waiting);

        first.Dispose();
        for (var i = 0; i < waiters.Count; i++)
        {
            (await waiters[i]).Dispose();
        }

        Assert.Equal([1, 2, 3, 4], order);
        Assert.Equal(0, slots.Running);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_the_next_one_is_served()
    {
        using var slots = Slots(1);
        var held = await slots.AcquireAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = slots.AcquireAsync(cancel.Token);
        var next = slots.AcquireAsync(CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, slots.Waiting);

        held.Dispose();
        using var got = await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, slots.Running);
    }

    [Fact]
    public async Task Capacity_bounds_concurrency()
    {
        using var slots = Slots(2);
        var a = await slots.AcquireAsync(CancellationToken.None);
        var b = await slots.AcquireAsync(CancellationToken.None);
        var c = slots.AcquireAsync(CancellationToken.None);
        Assert.False(c.IsCompleted);
        Assert.Equal(2, slots.Running);
        a.Dispose();
        (await c.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        b.Dispose();
        Assert.Equal(0, slots.Running);
    }
}
