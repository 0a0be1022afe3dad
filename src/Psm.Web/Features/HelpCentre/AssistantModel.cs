using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.HelpCentre;

/// <summary>Open: the visitor is asking. Resolved: they said an answer helped. HandedOver: they asked for a person (a ticket).</summary>
public enum ConversationOutcome { Open, Resolved, HandedOver }

/// <summary>
/// A visitor's conversation with the assistant. Its id is an unguessable token the visitor holds (nobody else
/// can add to it or hand it over); <see cref="VisitorKey"/> is a random cookie value, so a visitor who comes back
/// within seven days is seen as coming back (the deflection rate counts that).
/// </summary>
[NotAudited]
public sealed class AssistantConversation
{
    public Guid Id { get; set; } = NewId.Next();
    public string Token { get; set; } = "";
    public string VisitorKey { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset LastAt { get; set; }
    public ConversationOutcome Outcome { get; set; }
    public Guid? TicketId { get; set; }
}

/// <summary>One question and what the assistant answered: the article it took the passage from, its confidence, and whether that was enough to answer.</summary>
[NotAudited]
public sealed class AssistantExchange
{
    public Guid Id { get; set; } = NewId.Next();
    public Guid ConversationId { get; set; }
    public string Question { get; set; } = "";
    public Guid? ArticleId { get; set; }
    public string Passage { get; set; } = "";
    public double Confidence { get; set; }

    /// <summary>False when no article was good enough: the question then also lands in the feedback inbox.</summary>
    public bool Answered { get; set; }

    public Guid? FeedbackId { get; set; }
    public DateTimeOffset At { get; set; }
}

public sealed class AssistantQuestionInput
{
    [Required(ErrorMessage = "Ask a question.")]
    [StringLength(500, MinimumLength = 3, ErrorMessage = "A question is 3 to 500 characters.")]
    public string Question { get; set; } = "";

    /// <summary>The conversation's token from the previous answer; none starts a new conversation.</summary>
    [StringLength(64, ErrorMessage = "Not a conversation token.")]
    public string? Conversation { get; set; }
}

public sealed class HandoverInput
{
    [Required(ErrorMessage = "Your name is required.")]
    [StringLength(200, ErrorMessage = "The name must be at most 200 characters.")]
    public string Name { get; set; } = "";

    [Required(ErrorMessage = "An e-mail address is required, so we can answer.")]
    [EmailAddress(ErrorMessage = "That is not an e-mail address.")]
    [StringLength(256, ErrorMessage = "The address must be at most 256 characters.")]
    public string Email { get; set; } = "";

    [StringLength(5000, ErrorMessage = "The message must be at most 5000 characters.")]
    public string? Message { get; set; }
}

public sealed record AssistantSource(string Title, string Slug);

/// <summary>
/// What the assistant says: the passage it answers with and the articles it came from (best first), or, when
/// its confidence is under the setting, that it does not know. <see cref="Conversation"/> is the token to send with
/// the next question or a handover.
/// </summary>
public sealed record AssistantAnswer(string Conversation, bool Answered, string Text, string? PassageHtml, IReadOnlyList<AssistantSource> Sources, double Confidence);

public sealed record HandoverResult(string TicketKey, string Email);

public sealed record ConversationTurn(string Question, bool Answered, string Text, string? PassageHtml, AssistantSource? Source);

public sealed record ConversationView(string Token, ConversationOutcome Outcome, string? TicketKey, string? AnswerTo, IReadOnlyList<ConversationTurn> Turns);

public sealed record AssistantQuestionDto(Guid Id, string Question, bool Answered, double Confidence, string? Article, ConversationOutcome Outcome, DateTimeOffset At);

internal sealed class AssistantConversationConfiguration : IEntityTypeConfiguration<AssistantConversation>
{
    public void Configure(EntityTypeBuilder<AssistantConversation> conversation)
    {
        conversation.ToTable("AssistantConversations");
        conversation.Property(c => c.Token).HasMaxLength(64);
        conversation.HasIndex(c => c.Token).IsUnique();
        conversation.Property(c => c.VisitorKey).HasMaxLength(64);
        conversation.HasIndex(c => new { c.VisitorKey, c.StartedAt });
        conversation.HasIndex(c => c.StartedAt);
        conversation.Property(c => c.Outcome).HasConversion<string>().HasMaxLength(16);
        conversation.HasOne<ServiceDesk.Ticket>().WithMany().HasForeignKey(c => c.TicketId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class AssistantExchangeConfiguration : IEntityTypeConfiguration<AssistantExchange>
{
    public void Configure(EntityTypeBuilder<AssistantExchange> exchange)
    {
        exchange.ToTable("AssistantExchanges");
        exchange.Property(e => e.Question).HasMaxLength(500);
        exchange.Property(e => e.Passage).HasMaxLength(4000);
        exchange.HasIndex(e => e.At);
        exchange.HasIndex(e => e.ConversationId);
        exchange.HasOne<AssistantConversation>().WithMany().HasForeignKey(e => e.ConversationId).OnDelete(DeleteBehavior.Cascade);
        exchange.HasOne<Article>().WithMany().HasForeignKey(e => e.ArticleId).OnDelete(DeleteBehavior.SetNull);
        exchange.HasOne<Feedback.FeedbackItem>().WithMany().HasForeignKey(e => e.FeedbackId).OnDelete(DeleteBehavior.SetNull);
    }
}
