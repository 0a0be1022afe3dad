using Psm.Web.Infrastructure.Text;

namespace Psm.UnitTests.Infrastructure;

public sealed class WordsTests
{
    [Theory]
    [InlineData(0, "0 tickets")]
    [InlineData(1, "1 ticket")]
    [InlineData(2, "2 tickets")]
    [InlineData(12345, "12,345 tickets")]
    public void ACountTakesTheNounInItsNumber(long count, string expected) =>
        Assert.Equal(expected, Words.Count(count, "ticket"));

    [Fact]
    public void AnIrregularPluralIsUsedAsGiven()
    {
        Assert.Equal("1 reply", Words.Count(1, "reply", "replies"));
        Assert.Equal("3 replies", Words.Count(3, "reply", "replies"));
        Assert.Equal("1 row was", Words.Count(1, "row") + " " + Words.WasWere(1));
        Assert.Equal("2 initiatives have", Words.Count(2, "initiative") + " " + Words.HasHave(2));
    }

    [Fact]
    public void AnEnumValueReadsAsWords()
    {
        Assert.Equal("In progress", Words.Of(Psm.Web.Features.Roadmap.InitiativeStatus.InProgress));
        Assert.Equal("Survey comment", Words.Of(Psm.Web.Features.Feedback.FeedbackChannel.SurveyComment));
        Assert.Equal("In-app", Words.Of(Psm.Web.Features.Feedback.FeedbackChannel.InApp));
        Assert.Equal("Customer satisfaction", Words.Of(Psm.Web.Features.Strategy.ObjectiveType.CustomerSatisfaction));
        Assert.Equal("", Words.Of((Psm.Web.Features.Roadmap.InitiativeStatus?)null));
    }
}
