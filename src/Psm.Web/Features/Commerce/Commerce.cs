using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Commerce;

/// <summary>A purchase: who bought which product or service, for how much, when.</summary>
public sealed class Order
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid CustomerId { get; set; }
    public Customer? Customer { get; set; }
    public Guid ProductId { get; set; }
    public Product? Product { get; set; }
    public Guid? ServiceId { get; set; }
    public decimal Amount { get; set; }

    /// <summary>ISO 4217 code, upper case.</summary>
    public string Currency { get; set; } = "";

    public DateOnly OrderedOn { get; set; }

    /// <summary>The order's id in the system it came from; an import skips references already stored.</summary>
    public string? ExternalRef { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A subscription to a product or service, from its first day until it is cancelled (the day it ends).
/// The monthly amount is what revenue churn weighs it by.
/// </summary>
public sealed class Subscription
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid CustomerId { get; set; }
    public Customer? Customer { get; set; }
    public Guid ProductId { get; set; }
    public Product? Product { get; set; }
    public Guid? ServiceId { get; set; }
    public string Plan { get; set; } = "";
    public decimal MonthlyAmount { get; set; }
    public string Currency { get; set; } = "";
    public DateOnly StartedOn { get; set; }

    /// <summary>The first day it no longer runs; null while it runs.</summary>
    public DateOnly? CancelledOn { get; set; }

    public string CancelReason { get; set; } = "";
    public string? ExternalRef { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class OrderInput
{
    [Required(ErrorMessage = "Choose the customer.")]
    public Guid? CustomerId { get; set; }

    [Required(ErrorMessage = "Choose the product.")]
    public Guid? ProductId { get; set; }

    public Guid? ServiceId { get; set; }

    public decimal Amount { get; set; }

    public string Currency { get; set; } = "";

    [Required(ErrorMessage = "Give the order's day.")]
    public DateOnly? OrderedOn { get; set; }

    [StringLength(100)]
    public string? ExternalRef { get; set; }
}

public sealed class SubscriptionInput
{
    [Required(ErrorMessage = "Choose the customer.")]
    public Guid? CustomerId { get; set; }

    [Required(ErrorMessage = "Choose the product.")]
    public Guid? ProductId { get; set; }

    public Guid? ServiceId { get; set; }

    [StringLength(100)]
    public string Plan { get; set; } = "";

    public decimal MonthlyAmount { get; set; }

    public string Currency { get; set; } = "";

    [Required(ErrorMessage = "Give the first day.")]
    public DateOnly? StartedOn { get; set; }

    public DateOnly? CancelledOn { get; set; }

    [StringLength(500)]
    public string CancelReason { get; set; } = "";

    [StringLength(100)]
    public string? ExternalRef { get; set; }
}

public sealed class CancellationInput
{
    [Required(ErrorMessage = "Give the day it ends.")]
    public DateOnly? CancelledOn { get; set; }

    [StringLength(500)]
    public string Reason { get; set; } = "";
}

public sealed record OrderDto(
    Guid Id, NamedRef Customer, NamedRef Product, Guid? ServiceId, decimal Amount, string Currency, DateOnly OrderedOn, string? ExternalRef);

public sealed record SubscriptionDto(
    Guid Id, NamedRef Customer, NamedRef Product, Guid? ServiceId, string Plan, decimal MonthlyAmount, string Currency, DateOnly StartedOn,
    DateOnly? CancelledOn, string CancelReason, string? ExternalRef);

internal sealed class CommerceConfiguration : IEntityTypeConfiguration<Order>, IEntityTypeConfiguration<Subscription>
{
    public void Configure(EntityTypeBuilder<Order> order)
    {
        order.ToTable("Orders");
        order.Property(o => o.Currency).HasMaxLength(3);
        order.Property(o => o.ExternalRef).HasMaxLength(100);
        order.HasOne(o => o.Customer).WithMany().HasForeignKey(o => o.CustomerId).OnDelete(DeleteBehavior.Cascade);
        order.HasOne(o => o.Product).WithMany().HasForeignKey(o => o.ProductId).OnDelete(DeleteBehavior.Restrict);
        order.HasOne<Service>().WithMany().HasForeignKey(o => o.ServiceId).OnDelete(DeleteBehavior.SetNull);
        order.HasIndex(o => new { o.CustomerId, o.OrderedOn });
        order.HasIndex(o => o.OrderedOn);
        order.HasIndex(o => o.ExternalRef).IsUnique();
    }

    public void Configure(EntityTypeBuilder<Subscription> subscription)
    {
        subscription.ToTable("Subscriptions");
        subscription.Property(s => s.Plan).HasMaxLength(100);
        subscription.Property(s => s.Currency).HasMaxLength(3);
        subscription.Property(s => s.CancelReason).HasMaxLength(500);
        subscription.Property(s => s.ExternalRef).HasMaxLength(100);
        subscription.HasOne(s => s.Customer).WithMany().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Cascade);
        subscription.HasOne(s => s.Product).WithMany().HasForeignKey(s => s.ProductId).OnDelete(DeleteBehavior.Restrict);
        subscription.HasOne<Service>().WithMany().HasForeignKey(s => s.ServiceId).OnDelete(DeleteBehavior.SetNull);
        subscription.HasIndex(s => new { s.CustomerId, s.StartedOn });
        subscription.HasIndex(s => s.CancelledOn);
        subscription.HasIndex(s => s.ExternalRef).IsUnique();
    }
}

/// <summary>
/// Churn, recurring revenue and repeat purchase, written once as queries: the database runs them for the
/// metrics, and unit tests run the very same code over lists. A subscription runs on a day when it started
/// on or before that day and is not cancelled by then (its cancellation day is the first it no longer runs).
/// </summary>
public static class CommerceRules
{
    public const string ChurnDefinition =
        "Churn rate: of the customers with a subscription running on the period's first day, the share whose last subscription " +
        "ended in the period (one was cancelled in it and none runs at its close). A subscription runs on a day when it started " +
        "on or before that day and is not yet cancelled.";

    public const string RevenueChurnDefinition =
        "Revenue churn: the monthly amounts of subscriptions running on the period's first day and cancelled within it, " +
        "as a share of all the monthly amounts running on that day.";

    public const string RepeatPurchaseDefinition =
        "Repeat-purchase rate: of the customers with at least one order in the period, the share with two or more.";

    public const string MrrDefinition =
        "MRR (monthly recurring revenue): the sum of the monthly amounts of the subscriptions running at the period's close " +
        "(today, for a period not yet over), in the reporting currency. ARR is twelve times MRR.";

    public const string NrrDefinition =
        "Net revenue retention: the MRR at the period's close of the customers who had MRR at its start, as a share of their MRR " +
        "at the start; new subscriptions of those customers count (expansion), their cancellations count against (contraction " +
        "and churn), new customers do not count. Expansion MRR is what those customers added in the period; contraction MRR " +
        "is what those who stayed cancelled.";

    /// <summary>Running on <paramref name="day"/>: started on or before it, not cancelled by then.</summary>
    public static IQueryable<Subscription> RunningOn(IQueryable<Subscription> subscriptions, DateOnly day) =>
        subscriptions.Where(s => s.StartedOn <= day && (s.CancelledOn == null || s.CancelledOn > day));

    /// <summary>
    /// Customers active at the period's start (a subscription running on its first day), and of those, the
    /// ones whose last subscription ended in the period (one was cancelled in it, none runs at its close).
    /// </summary>
    public static (IQueryable<Guid> Active, IQueryable<Guid> Churned) Churn(IQueryable<Subscription> subscriptions, DateOnly from, DateOnly to)
    {
        var active = RunningOn(subscriptions, from).Select(s => s.CustomerId).Distinct();
        // EXISTS and NOT EXISTS, not IN and NOT IN: PostgreSQL cannot turn NOT IN into an anti-join (a NULL would change its
        // meaning), and past work_mem it rescans the subquery for every row; over 500 000 subscriptions one count took minutes.
        return (active, active.Where(c =>
            subscriptions.Any(s => s.CustomerId == c && s.CancelledOn != null && s.CancelledOn > from && s.CancelledOn <= to)
            && !subscriptions.Any(s => s.CustomerId == c && s.StartedOn <= to && (s.CancelledOn == null || s.CancelledOn > to))));
    }

    /// <summary>Monthly amounts running at the period's start, and the part of it cancelled within the period.</summary>
    public static IQueryable<Subscription> LostIn(IQueryable<Subscription> subscriptions, DateOnly from, DateOnly to) =>
        RunningOn(subscriptions, from).Where(s => s.CancelledOn != null && s.CancelledOn <= to);

    /// <summary>Customers with at least one order in the period, and those with two or more.</summary>
    public static IQueryable<int> OrdersPerCustomer(IQueryable<Order> orders, DateOnly from, DateOnly to) =>
        orders.Where(o => o.OrderedOn >= from && o.OrderedOn < to).GroupBy(o => o.CustomerId).Select(g => g.Count());

    /// <summary>The day a period's level is read: its end (the first day after it), or today while it runs.</summary>
    public static DateOnly Close(DateOnly to, DateOnly today) => to <= today ? to : today;

    /// <summary>Monthly recurring revenue on a day.</summary>
    public static IQueryable<decimal> Mrr(IQueryable<Subscription> subscriptions, DateOnly day) =>
        RunningOn(subscriptions, day).Select(s => s.MonthlyAmount);

    /// <summary>
    /// The movement of recurring revenue over a period, for the customers who had some at its start:
    /// their MRR at the start and at the close, what they added (subscriptions started after the first day,
    /// still running at the close), and what those who stayed lost (contraction).
    /// </summary>
    public static async Task<RevenueMovement> MovementAsync(IQueryable<Subscription> subscriptions, DateOnly from, DateOnly close,
        Func<IQueryable<decimal>, Task<decimal>> sum)
    {
        var cohort = RunningOn(subscriptions, from).Select(s => s.CustomerId);
        var atClose = RunningOn(subscriptions, close).Where(s => cohort.Contains(s.CustomerId));
        var stayed = atClose.Select(s => s.CustomerId);
        var start = await sum(RunningOn(subscriptions, from).Select(s => s.MonthlyAmount));
        var end = await sum(atClose.Select(s => s.MonthlyAmount));
        var expansion = await sum(atClose.Where(s => s.StartedOn > from).Select(s => s.MonthlyAmount));
        var contraction = await sum(RunningOn(subscriptions, from).Where(s => stayed.Contains(s.CustomerId) && s.CancelledOn != null && s.CancelledOn <= close)
            .Select(s => s.MonthlyAmount));
        return new RevenueMovement(start, end, expansion, contraction, start + expansion - contraction - end);
    }
}

/// <summary>Start and close MRR of the customers who had MRR at the start; Start + Expansion - Contraction - Churned = End.</summary>
public sealed record RevenueMovement(decimal Start, decimal End, decimal Expansion, decimal Contraction, decimal Churned)
{
    public double? RetentionPercent => Start == 0 ? null : Math.Round((double)(100 * End / Start), 2);
}
