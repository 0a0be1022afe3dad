using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.Commerce;

/// <summary>
/// Churn, revenue churn, repeat purchase and revenue, computed in the database from orders and
/// subscriptions, cut by product, service, segment and period. A series evaluates each bucket as its
/// own period (churn is a ratio over a period, not a sum of days).
/// </summary>
public sealed class CommerceMetric(string key, string name, string unit, BetterDirection better, string description, bool outcome,
    Func<PsmDb, MetricQuery, CancellationToken, Task<double?>> evaluate) : IMetric
{
    private static readonly MetricDimension[] Cuts = [MetricDimension.Period, MetricDimension.Product, MetricDimension.Service, MetricDimension.Segment];

    public MetricDefinition Definition { get; } = new(key, name, unit, better, Cuts, description, outcome);

    public static CommerceMetric ChurnRate() => new("commerce.churn_rate", "Churn rate", "%", BetterDirection.Down,
        "Customers whose last subscription ended in the period, as a share of the customers with a subscription running at its start.", outcome: true,
        async (db, q, ct) =>
        {
            var (active, churned) = CommerceRules.Churn(await SubscriptionsAsync(db, q, ct), q.From, q.To);
            var total = await active.CountAsync(ct);
            return total == 0 ? null : Math.Round(100.0 * await churned.CountAsync(ct) / total, 2);
        });

    public static CommerceMetric RevenueChurn() => new("commerce.revenue_churn", "Revenue churn", "%", BetterDirection.Down,
        "Monthly amounts of subscriptions cancelled in the period, as a share of the monthly amounts running at its start.", outcome: false,
        async (db, q, ct) =>
        {
            var subscriptions = await SubscriptionsAsync(db, q, ct);
            var running = await CommerceRules.RunningOn(subscriptions, q.From).SumAsync(s => (decimal?)s.MonthlyAmount, ct) ?? 0;
            var lost = await CommerceRules.LostIn(subscriptions, q.From, q.To).SumAsync(s => (decimal?)s.MonthlyAmount, ct) ?? 0;
            return running == 0 ? null : Math.Round((double)(100 * lost / running), 2);
        });

    public static CommerceMetric RepeatPurchaseRate() => new("commerce.repeat_purchase_rate", "Repeat-purchase rate", "%", BetterDirection.Up,
        "Customers with two or more orders in the period, as a share of those with at least one.", outcome: true,
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

    public Task<double?> EvaluateAsync(PsmDb db, MetricQuery query, CancellationToken ct) => evaluate(db, query, ct);

    public Task<IReadOnlyList<MetricPoint>> SeriesAsync(PsmDb db, MetricQuery query, Granularity granularity, CancellationToken ct) =>
        Buckets.EachAsync(query, granularity, q => evaluate(db, q, ct));

    private static async Task<IQueryable<Subscription>> SubscriptionsAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var subscriptions = db.Subscriptions.AsNoTracking();
        if (query.ProductId is { } product) subscriptions = subscriptions.Where(s => s.ProductId == product);
        if (query.ServiceId is { } service) subscriptions = subscriptions.Where(s => s.ServiceId == service);
        if (query.Segment is { } segment)
        {
            var members = await Audiences.MemberIdsAsync(db, segment, ct);
            subscriptions = subscriptions.Where(s => members.Contains(s.CustomerId));
        }

        return subscriptions;
    }

    private static async Task<IQueryable<Order>> OrdersAsync(PsmDb db, MetricQuery query, CancellationToken ct)
    {
        var orders = db.Orders.AsNoTracking();
        if (query.ProductId is { } product) orders = orders.Where(o => o.ProductId == product);
        if (query.ServiceId is { } service) orders = orders.Where(o => o.ServiceId == service);
        if (query.Segment is { } segment)
        {
            var members = await Audiences.MemberIdsAsync(db, segment, ct);
            orders = orders.Where(o => members.Contains(o.CustomerId));
        }

        return orders;
    }
}
