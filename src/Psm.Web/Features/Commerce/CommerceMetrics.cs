using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.Commerce;

/// <summary>
/// Churn, revenue churn, repeat purchase, revenue, MRR, ARR and net revenue retention, computed in the
/// database from orders and subscriptions, cut by product, service, plan (the subscription's; for orders,
/// the customer's), segment and period. A series evaluates each bucket as its
/// own period (churn is a ratio over a period, not a sum of days).
/// </summary>
public sealed class CommerceMetric(string key, string name, string unit, BetterDirection better, string description, bool outcome,
    Func<PsmDb, MetricQuery, CancellationToken, Task<double?>> evaluate) : IMetric
{
    private static readonly MetricDimension[] Cuts =
        [MetricDimension.Period, MetricDimension.Product, MetricDimension.Service, MetricDimension.Plan, MetricDimension.Segment];

    public MetricDefinition Definition { get; } = new(key, name, unit, better, Cuts, description, outcome);

    public static CommerceMetric ChurnRate() => new("commerce.churn_rate", "Churn rate", "%", BetterDirection.Down,
        CommerceRules.ChurnDefinition, outcome: true,
        async (db, q, ct) =>
        {
            var (active, churned) = CommerceRules.Churn(await SubscriptionsAsync(db, q, ct), q.From, q.To);
            var total = await active.CountAsync(ct);
            return total == 0 ? null : Math.Round(100.0 * await churned.CountAsync(ct) / total, 2);
        });

    public static CommerceMetric RevenueChurn() => new("commerce.revenue_churn", "Revenue churn", "%", BetterDirection.Down,
        CommerceRules.RevenueChurnDefinition, outcome: false,
        async (db, q, ct) =>
        {
            var subscriptions = await SubscriptionsAsync(db, q, ct);
            var running = await CommerceRules.RunningOn(subscriptions, q.From).SumAsync(s => (decimal?)s.MonthlyAmount, ct) ?? 0;
            var lost = await CommerceRules.LostIn(subscriptions, q.From, q.To).SumAsync(s => (decimal?)s.MonthlyAmount, ct) ?? 0;
            return running == 0 ? null : Math.Round((double)(100 * lost / running), 2);
        });

    public static CommerceMetric RepeatPurchaseRate() => new("commerce.repeat_purchase_rate", "Repeat-purchase rate", "%", BetterDirection.Up,
        CommerceRules.RepeatPurchaseDefinition, outcome: true,
        async (db, q, ct) =>
        {
            var perCustomer = CommerceRules.OrdersPerCustomer(await OrdersAsync(db, q, ct), q.From, q.To);
            var counts = await perCustomer.GroupBy(_ => 1).Select(g => new { Buyers = g.Count(), Repeat = g.Count(n => n >= 2) }).SingleOrDefaultAsync(ct);
            return counts is null || counts.Buyers == 0 ? null : Math.Round(100.0 * counts.Repeat / counts.Buyers, 2);
        });

    public static CommerceMetric Revenue(string currency) => new("commerce.revenue", "Revenue", currency, BetterDirection.Up,
        $"Sum of orders in {currency} in the period (orders in other currencies are not converted and not counted).", outcome: true,
        async (db, q, ct) =>
        {
            var orders = (await OrdersAsync(db, q, ct)).Where(o => o.Currency == currency && o.OrderedOn >= q.From && o.OrderedOn < q.To);
            return (double?)await orders.SumAsync(o => (decimal?)o.Amount, ct) ?? 0;
        });

    /// <summary>MRR at the period's close (today while it runs), in the reporting currency.</summary>
    public static CommerceMetric Mrr(string currency, TimeProvider time) => new("commerce.mrr", "MRR", currency, BetterDirection.Up,
        CommerceRules.MrrDefinition, outcome: false, async (db, q, ct) => (double)await MrrAtCloseAsync(db, q, currency, time, ct));

    public static CommerceMetric Arr(string currency, TimeProvider time) => new("commerce.arr", "ARR", currency, BetterDirection.Up,
        CommerceRules.MrrDefinition, outcome: false, async (db, q, ct) => (double)(12 * await MrrAtCloseAsync(db, q, currency, time, ct)));

    private static async Task<decimal> MrrAtCloseAsync(PsmDb db, MetricQuery q, string currency, TimeProvider time, CancellationToken ct) =>
        await Sum(CommerceRules.Mrr(InCurrency(await SubscriptionsAsync(db, q, ct), currency), CommerceRules.Close(q.To, Today(time))), ct);

    public static CommerceMetric NetRevenueRetention(string currency, TimeProvider time) => new("commerce.nrr", "Net revenue retention", "%", BetterDirection.Up,
        CommerceRules.NrrDefinition, outcome: true,
        async (db, q, ct) => (await MovementAsync(db, q, currency, time, ct)).RetentionPercent);

    public static CommerceMetric ExpansionMrr(string currency, TimeProvider time) => new("commerce.expansion_mrr", "Expansion MRR", currency, BetterDirection.Up,
        CommerceRules.NrrDefinition, outcome: false,
        async (db, q, ct) => (double)(await MovementAsync(db, q, currency, time, ct)).Expansion);

    public static CommerceMetric ContractionMrr(string currency, TimeProvider time) => new("commerce.contraction_mrr", "Contraction MRR", currency, BetterDirection.Down,
        CommerceRules.NrrDefinition, outcome: false,
        async (db, q, ct) => (double)(await MovementAsync(db, q, currency, time, ct)).Contraction);

    public static async Task<RevenueMovement> MovementAsync(PsmDb db, MetricQuery q, string currency, TimeProvider time, CancellationToken ct) =>
        await CommerceRules.MovementAsync(InCurrency(await SubscriptionsAsync(db, q, ct), currency), q.From, CommerceRules.Close(q.To, Today(time)), v => Sum(v, ct));

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    internal static IQueryable<Subscription> InCurrency(IQueryable<Subscription> subscriptions, string currency) =>
        subscriptions.Where(s => s.Currency == currency);

    private static async Task<decimal> Sum(IQueryable<decimal> values, CancellationToken ct) => await values.Select(v => (decimal?)v).SumAsync(ct) ?? 0;

    public Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct) => evaluate(db, query, ct);

    public Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct) =>
        Buckets.EachAsync(query, granularity, q => evaluate(db, q, ct));

    internal static async Task<IQueryable<Subscription>> SubscriptionsAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var subscriptions = db.Subscriptions.AsNoTracking();
        if (query.ProductId is { } product) subscriptions = subscriptions.Where(s => s.ProductId == product);
        if (query.ServiceId is { } service) subscriptions = subscriptions.Where(s => s.ServiceId == service);
        if (query.Plan is { } plan) subscriptions = subscriptions.Where(s => s.Plan == plan);
        if (query.Segment is { } segment)
        {
            var members = await Audiences.MemberIdsAsync(db, segment, ct);
            subscriptions = subscriptions.Where(s => members.Contains(s.CustomerId));
        }

        return subscriptions;
    }

    internal static async Task<IQueryable<Order>> OrdersAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var orders = db.Orders.AsNoTracking();
        if (query.ProductId is { } product) orders = orders.Where(o => o.ProductId == product);
        if (query.ServiceId is { } service) orders = orders.Where(o => o.ServiceId == service);
        if (query.Plan is { } plan) orders = orders.Where(o => o.Customer!.Plan == plan);
        if (query.Segment is { } segment)
        {
            var members = await Audiences.MemberIdsAsync(db, segment, ct);
            orders = orders.Where(o => members.Contains(o.CustomerId));
        }

        return orders;
    }
}
