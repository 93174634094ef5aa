class InputError(Exception):
    """Input the function cannot accept; the message is shown to the user as is.

    ``parsed`` is what could be read of the input (a ResourceList to write back), if anything.
    """

    def __init__(self, message: str, parsed=None):
        super().__init__(message)
        self.parsed = parsed
