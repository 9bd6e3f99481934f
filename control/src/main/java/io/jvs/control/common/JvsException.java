package io.jvs.control.common;

/**
 * A request jvs refuses or could not carry out. The message is one line meant for a person; the kind maps to an
 * HTTP status at the API edge.
 */
public final class JvsException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public enum Kind
    {
        INVALID(400),
        FORBIDDEN(403),
        NOT_FOUND(404),
        CONFLICT(409),
        INTERNAL(500);

        private final int httpStatus;

        Kind(final int httpStatus)
        {
            this.httpStatus = httpStatus;
        }

        public int httpStatus()
        {
            return httpStatus;
        }

        public static Kind ofHttpStatus(final int status)
        {
            for (final Kind kind : values())
            {
                if (kind.httpStatus == status)
                {
                    return kind;
                }
            }
            return status >= 500 ? INTERNAL : INVALID;
        }
    }

    private final Kind kind;

    public JvsException(final Kind kind, final String message)
    {
        super(message);
        this.kind = kind;
    }

    public JvsException(final Kind kind, final String message, final Throwable cause)
    {
        super(message, cause);
        this.kind = kind;
    }

    public static JvsException invalid(final String message)
    {
        return new JvsException(Kind.INVALID, message);
    }

    public static JvsException notFound(final String message)
    {
        return new JvsException(Kind.NOT_FOUND, message);
    }

    public static JvsException conflict(final String message)
    {
        return new JvsException(Kind.CONFLICT, message);
    }

    public static JvsException forbidden(final String message)
    {
        return new JvsException(Kind.FORBIDDEN, message);
    }

    public Kind kind()
    {
        return kind;
    }
}
