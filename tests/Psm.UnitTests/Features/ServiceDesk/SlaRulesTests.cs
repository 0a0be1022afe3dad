using Psm.Web.Features.ServiceDesk;

namespace Psm.UnitTests.Features.ServiceDesk;

public sealed class SlaRulesTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly Guid Crm = Guid.NewGuid();
    private static readonly BusinessCalendar Hours = BusinessCalendar.Weekdays(Berlin, new(9, 0), new(17, 0));

    // Monday 23 November 2026 in Berlin (UTC+1).
    private static DateTimeOffset Monday(int hour, int minute = 0) => new(2026, 11, 23, hour, minute, 0, TimeSpan.FromHours(1));

    private static SlaPolicy Policy(string name, TicketPriority priority = TicketPriority.High, Guid? product = null, string? plan = null, int created = 0) =>
        new() { Name = name, Priority = priority, ProductId = product, Plan = plan, FirstResponseMinutes = 60, ResolutionMinutes = 480, CreatedAt = Monday(8).AddDays(-created) };

    private static readonly SlaPolicy[] Policies =
    [
        Policy("general"), Policy("older general", created: 5), Policy("plan", plan: "Enterprise"), Policy("product", product: Crm),
        Policy("product and plan", product: Crm, plan: "Enterprise"), Policy("urgent", TicketPriority.Urgent),
    ];

    [Theory]
    [InlineData(TicketPriority.High, true, "Enterprise", "product and plan")]
    [InlineData(TicketPriority.High, true, "enterprise", "product and plan")] // plans match whatever the case
    [InlineData(TicketPriority.High, true, "Pro", "product")]
    [InlineData(TicketPriority.High, false, "Enterprise", "plan")]
    [InlineData(TicketPriority.High, false, "Pro", "older general")] // ties go to the earliest created
    [InlineData(TicketPriority.Urgent, true, "Enterprise", "urgent")]
    public void TheMostSpecificPolicyOfTheSamePriorityWins(TicketPriority priority, bool onCrm, string plan, string expected) =>
        Assert.Equal(expected, SlaRules.Select(Policies, new SlaSubject(priority, onCrm ? Crm : Guid.NewGuid(), plan))!.Name);

    [Fact]
    public void NoPolicyForThePriorityMeansNoDueTimes() =>
        Assert.Null(SlaRules.Select(Policies, new SlaSubject(TicketPriority.Low, Crm, "Enterprise")));

    [Fact]
    public void DueTimesRunInBusinessHoursAndCreditTimeSpentPaused()
    {
        var policy = Policy("general");
        // Opened Monday 16:00: 1 h of first response ends at 17:00; 8 h of resolution end Tuesday 16:00.
        Assert.Equal((Monday(17), Monday(16).AddDays(1)), SlaRules.Due(Hours, policy, Monday(16)));
        // Chosen again after 90 business minutes paused: the resolution moves on by them, the first response does not.
        Assert.Equal((Monday(17), Monday(9, 30).AddDays(2)), SlaRules.Due(Hours, policy, Monday(16), pausedMinutes: 90));
    }

    [Fact]
    public void ResumingGivesBackTheBusinessTimeThatWasLeft()
    {
        // Due Tuesday 12:00, paused Monday 15:00 (2 h Monday + 3 h Tuesday left), resumed Wednesday 10:00: due Wednesday 15:00.
        var due = Monday(12).AddDays(1);
        Assert.Equal(Monday(15).AddDays(2), SlaRules.Resume(Hours, due, Monday(15), Monday(10).AddDays(2)));
        // Paused after it was already overdue: nothing is left, so it is due the moment it resumes.
        Assert.Equal(Monday(10).AddDays(2), SlaRules.Resume(Hours, Monday(11), Monday(15), Monday(10).AddDays(2)));
    }

    [Fact]
    public void TimeLeftIsBusinessTimeAndNegativeOncePast()
    {
        // Friday 16:00 to Monday 10:00 is two business hours; from Monday 10:00 back to Friday 16:00 it is two hours overdue.
        var friday = Monday(16).AddDays(-3);
        Assert.Equal(TimeSpan.FromHours(2), SlaRules.Left(Hours, Monday(10), friday));
        Assert.Equal(TimeSpan.FromHours(-2), SlaRules.Left(Hours, friday, Monday(10)));
    }
}
