"""The grader's judge: the reference, the comparison and the diagnosis of mistakes."""
